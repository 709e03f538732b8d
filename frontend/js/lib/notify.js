// "Your image is ready" when a job ends (finished or failed) while the tab is hidden: a browser
// notification and a short chime (WebAudio, nothing to download). Off by default; the Settings
// toggle asks for the Notification permission once, and the choice is kept in localStorage.

import { t } from "./i18n.js";
import { isTerminal, subscribe } from "./store.js";

const STORAGE_KEY = "studio.notify";
const ENDINGS = new Set(["finished", "failed"]);
let audio = null; // one AudioContext for the page, made on first use

/** Whether this browser can show notifications at all. */
export function notificationsSupported() {
  return typeof window.Notification === "function";
}

/** Whether the user turned the notifications on (and has not blocked them since). */
export function notificationsEnabled() {
  return localStorage.getItem(STORAGE_KEY) === "on";
}

/**
 * Turn notifications on or off. Turning them on asks for the permission when the browser has
 * not been asked yet (this must run from a click); resolves to the permission, or "off".
 */
export async function setNotificationsEnabled(on) {
  if (!on || !notificationsSupported()) {
    localStorage.setItem(STORAGE_KEY, "off");
    return "off";
  }
  let permission = Notification.permission;
  if (permission === "default") permission = await Notification.requestPermission();
  localStorage.setItem(STORAGE_KEY, permission === "granted" ? "on" : "off");
  unlockSound(); // a click: the one moment a page may start audio
  return permission;
}

function unlockSound() {
  const Context = window.AudioContext || window.webkitAudioContext;
  if (!Context) return null;
  audio = audio || new Context();
  if (audio.state === "suspended") audio.resume().catch(() => {});
  return audio;
}

/** Two soft notes, higher for a finished job than for a failed one (about 0.4 s). */
function chime(ok) {
  const ctx = unlockSound();
  if (!ctx) return;
  const start = ctx.currentTime;
  (ok ? [660, 880] : [440, 330]).forEach((freq, i) => {
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = "sine";
    osc.frequency.value = freq;
    const at = start + i * 0.16;
    gain.gain.setValueAtTime(0.0001, at);
    gain.gain.exponentialRampToValueAtTime(0.15, at + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.22);
    osc.connect(gain).connect(ctx.destination);
    osc.start(at);
    osc.stop(at + 0.24);
  });
}

function announce(job) {
  const ok = job.status === "finished";
  if (notificationsSupported() && Notification.permission === "granted") {
    const note = new Notification(t(ok ? "notify.finished" : "notify.failed"), {
      body: job.prompt || t("job.no_prompt"),
      tag: `studio-job-${job.job_id}`, // one notification per job, even if two tabs see it end
    });
    note.onclick = () => {
      window.focus();
      note.close();
    };
  }
  chime(ok);
}

/** Watch the store: a job this page saw active that ends while the tab is hidden is announced. */
export function watchJobEndings() {
  const seenActive = new Set(); // job ids this page saw queued or processing
  return subscribe((job) => {
    if (job.deleted || !isTerminal(job)) {
      if (job.deleted) seenActive.delete(job.job_id);
      else seenActive.add(job.job_id);
      return;
    }
    const sawItRun = seenActive.delete(job.job_id); // else it ended before this page saw it
    if (sawItRun && ENDINGS.has(job.status) && notificationsEnabled() && document.visibilityState === "hidden") {
      announce(job);
    }
  });
}
