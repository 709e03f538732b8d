// Studio: pick a tool, fill its slots, prompt and settings, Generate, follow the jobs live.

import { createJobCard } from "../components/job-card.js";
import { optionalLoraNotes } from "../components/lora-field.js";
import { createPngParams, pngSummary } from "../components/png-params.js";
import { createPromptHistory } from "../components/prompt-history.js";
import { createRepeatControl } from "../components/repeat-control.js";
import { createSettingsPanel, kindOf, seedMax } from "../components/settings-panel.js";
import { createStyleChips } from "../components/style-chips.js";
import { toast, toastError } from "../components/toast.js";
import { availabilityText, pickTool } from "../components/tool-picker.js";
import { createSlotControl } from "../components/slot-control.js";
import { ApiError, NetworkError, randomKey } from "../lib/api.js";
import { isReady, loadTools } from "../lib/catalog.js";
import { errorText } from "../lib/error-text.js";
import { html, render } from "../lib/html.js";
import { localized, t } from "../lib/i18n.js";
import { icon, toolIcon } from "../lib/icons.js";
import { uploadFromUrl } from "../lib/images.js";
import { rememberPrompt } from "../lib/prompt-history.js";
import { navigate } from "../lib/router.js";
import { allJobs, draftFor, saveDraft, subscribe } from "../lib/store.js";
import { loadRecentJobs, requestOf, sendJob } from "../lib/studio-jobs.js";

const DEFAULT_PROMPT_LIMIT = 2000;
const MAX_CARDS = 12;
const ONE_COLUMN = "(max-width: 1100px)"; // app.css: the studio's one-column layout

function layout(tool, promptParam) {
  const limit = promptParam?.max_length || DEFAULT_PROMPT_LIMIT;
  const required = Boolean(promptParam?.required);
  return html`<div class="view studio" data-testid="view-studio" data-tool="${tool.id}">
    <h1 class="visually-hidden">${t("nav.studio")} · ${localized(tool.name)}</h1>
    <header class="studio-head">
      <button type="button" class="tool-switch glass" data-switch data-testid="switch-tool">
        <span class="tool-icon">${toolIcon(tool)}</span>
        <span><span class="tool-name">${localized(tool.name)}</span>
        <span class="muted small">${t("studio.switch")}</span></span>
      </button>
      <p class="muted studio-desc">${localized(tool.description)}</p>
      <span data-png></span>
    </header>
    ${optionalLoraNotes(tool)}
    ${isReady(tool) ? "" : html`<div class="banner banner-warn" role="alert" data-testid="tool-unavailable">
      ${icon("alert", { size: 18 })}<span>${availabilityText(tool)}</span></div>`}
    <div class="studio-layout">
      <div class="studio-main">
        <form class="compose glass" novalidate data-testid="compose">
          ${tool.slots?.length ? html`<div class="slots" data-slots></div>` : ""}
          ${promptParam ? html`<div class="field prompt-field">
            <div class="prompt-head"><label for="prompt">${localized(promptParam.label) || t("param.prompt")}${required ? html`<span class="req" aria-hidden="true"> *</span>` : ""}</label>
              <span data-history></span></div>
            <div class="prompt-box"><textarea id="prompt" rows="4" placeholder="${t("studio.prompt_placeholder")}"
              data-testid="prompt-input" aria-describedby="prompt-counter prompt-over" ${required ? "required" : ""}></textarea>
            <span class="counter" id="prompt-counter" data-testid="prompt-counter" data-limit="${limit}">0 / ${limit}</span></div>
            <p class="field-error" id="prompt-over" role="status" data-testid="prompt-over"></p>
          </div>
          <div data-styles></div>` : ""}
          <p class="form-error" role="alert" data-testid="form-error" hidden></p>
          <div data-repeat></div>
          <p class="hint shortcut-hint">${t("studio_ux.shortcut")}</p>
          <button type="submit" class="btn primary big" data-testid="generate-button" ${isReady(tool) ? "" : "disabled"}>
            ${icon("sparkles")}<span>${t("studio.generate")}</span></button>
        </form>
        <section class="jobs" aria-label="${t("studio.jobs")}" data-testid="job-list"></section>
        <p class="jobs-empty muted" data-testid="jobs-empty">${t("studio_ux.jobs_empty")}</p>
      </div>
      <aside class="studio-settings glass" aria-label="${t("studio.settings")}">
        <h2 class="section-title">${t("studio.settings")}</h2>
        <div data-settings></div>
      </aside>
    </div>
  </div>`;
}

/** Mount the studio for #/studio/<tool>; state.draft (remix) pre-fills the form. */
export function mountStudio(root, { param, state }) {
  let alive = true;
  const cleanups = [];
  render(root, html`<div class="view studio" data-testid="view-studio"><h1 class="visually-hidden">${t("nav.studio")}</h1><p class="muted">${t("common.loading")}</p></div>`);

  async function choose(tools) {
    const picked = await pickTool(tools);
    if (!alive) return;
    if (picked) navigate("studio", picked);
    else if (!param) navigate("dashboard");
  }

  loadTools().then((tools) => {
    if (!alive) return;
    const tool = tools.find((x) => x.id === param);
    if (!tool) {
      if (param) toast(t("studio.unknown_tool", { tool: param }), "error");
      render(root, html`<div class="view studio" data-testid="view-studio"><h1 class="visually-hidden">${t("nav.studio")}</h1>
        <section class="empty-state glass">${icon("studio", { size: 32 })}<h2>${t("studio.pick_title")}</h2>
        <button type="button" class="btn primary" data-testid="open-picker">${t("studio.pick")}</button></section></div>`);
      root.querySelector("[data-testid=open-picker]").addEventListener("click", () => choose(tools));
      choose(tools);
      return;
    }
    cleanups.push(setupTool(root, tool, tools, state?.draft || draftFor(tool.id), () => choose(tools)));
  }, (err) => {
    if (!alive) return;
    toastError(err, t);
    render(root, html`<div class="view studio" data-testid="view-studio"><h1 class="visually-hidden">${t("nav.studio")}</h1><section class="empty-state glass">
      ${icon("alert", { size: 32 })}<h2>${t("error.tools")}</h2></section></div>`);
  });

  return () => {
    alive = false;
    for (const fn of cleanups) fn();
  };
}

function setupTool(root, tool, tools, draft, openPicker) {
  const promptParam = (tool.parameters || []).find((p) => kindOf(p) === "prompt");
  render(root, layout(tool, promptParam));
  const form = root.querySelector("form");
  const prompt = root.querySelector("#prompt");
  const counter = root.querySelector("[data-testid=prompt-counter]");
  const formError = root.querySelector("[data-testid=form-error]");
  const generate = root.querySelector("[data-testid=generate-button]");
  const jobList = root.querySelector("[data-testid=job-list]");
  const toolNames = Object.fromEntries(tools.map((x) => [x.id, localized(x.name)]));
  root.querySelector("[data-switch]").addEventListener("click", openPicker);

  const slots = (tool.slots || []).map((slot) =>
    createSlotControl(tool, slot, { onError: (err) => toastError(err, t), drawing: draft?.drawings?.[slot.id] }));
  root.querySelector("[data-slots]")?.append(...slots.map((s) => s.el));
  const settings = createSettingsPanel(tool);
  root.querySelector("[data-settings]").append(settings.el);
  const stopPlacing = placeSettings(root, form);

  // No maxlength: a paste over the limit stays whole and the page says so (a cut was silent).
  const over = root.querySelector("[data-testid=prompt-over]");
  const updateCounter = () => {
    if (!prompt) return;
    const limit = Number(counter.dataset.limit);
    counter.textContent = `${prompt.value.length} / ${limit}`;
    counter.classList.toggle("near", prompt.value.length > limit * 0.9);
    counter.classList.toggle("over", prompt.value.length > limit);
    const text = prompt.value.length > limit ? t("studio_ux.prompt_over", { count: prompt.value.length, limit, extra: prompt.value.length - limit }) : "";
    if (over.textContent !== text) over.textContent = text;
  };
  prompt?.addEventListener("input", updateCounter);
  const history = prompt ? createPromptHistory(prompt) : null;
  if (history) root.querySelector("[data-history]").append(history.el);
  const styles = prompt ? createStyleChips() : null;
  if (styles) root.querySelector("[data-styles]").append(styles.el);

  // Remix, a draft and a PNG's parameters fill the form the same way.
  function fillForm(source) {
    if (prompt && typeof source.prompt === "string") prompt.value = source.prompt;
    settings.apply(source);
    updateCounter();
  }
  if (draft) {
    fillForm({ ...draft, prompt: draft.prompt || "" });
    for (const ctl of slots) {
      const input = draft.inputs?.[ctl.slot.id];
      if (input?.upload_id) ctl.setUpload({ upload_id: input.upload_id, url: input.url || `/api/uploads/${input.upload_id}` });
      ctl.setMask?.(draft.masks?.[ctl.slot.id]);
    }
  }
  const png = createPngParams(root.querySelector(".studio"), tool.id, {
    onAnswer(answer) {
      const source = { prompt: answer.params.prompt, params: answer.params };
      toast(pngSummary(answer, tools.find((x) => x.id === answer.tool) || tool), answer.matched.length ? "success" : "info");
      if (answer.tool === tool.id) fillForm(source);
      else navigate("studio", answer.tool, { draft: source });
    },
  });
  root.querySelector("[data-png]").append(png.el);

  const useAsInput = slots.map((ctl) => ({
    label: localized(ctl.slot.label) || ctl.slot.id,
    run: async (output) => {
      try {
        ctl.setUpload(await uploadFromUrl(output.url));
        toast(t("result.used"), "success");
      } catch (err) {
        toastError(err, t);
      }
    },
  }));

  // Job cards: every job this page knows (active at load, or started/seen since), newest first.
  const cards = new Map();
  function syncCards(changed) {
    if (changed?.deleted) {
      cards.get(changed.job_id)?.el.remove();
      cards.delete(changed.job_id);
      return;
    }
    const jobs = allJobs().slice(0, MAX_CARDS);
    const keep = new Set(jobs.map((j) => j.job_id));
    for (const [id, card] of cards) if (!keep.has(id)) (card.el.remove(), cards.delete(id));
    jobs.forEach((job, index) => {
      let card = cards.get(job.job_id);
      if (!card) {
        card = createJobCard(job, { toolName: toolNames[job.tool] || job.tool, lightboxOptions: { useAsInput }, onRetry: retry });
        cards.set(job.job_id, card);
      } else if (!changed || changed.job_id === job.job_id) card.update(job);
      if (jobList.children[index] !== card.el) jobList.insertBefore(card.el, jobList.children[index] || null);
    });
    jobList.classList.toggle("empty", cards.size === 0);
    root.querySelector("[data-testid=jobs-empty]").hidden = cards.size > 0;
  }
  syncCards();
  const unsubscribe = subscribe(syncCards);
  // A reload forgets the store: bring back this tool's last jobs (finished ones too).
  loadRecentJobs(tool.id).catch(() => {}); // offline: the page works without them

  // Paste an image anywhere in the studio: into the focused slot, else the first empty one.
  const onPaste = (event) => {
    if (!slots.length) return;
    // A pasted file that is not an image goes to the slot too, which says so (ignoring it was silent).
    const files = [...(event.clipboardData?.files || [])];
    const file = files.find((f) => f.type.startsWith("image/")) || files[0];
    if (!file) return;
    event.preventDefault();
    const focused = slots.find((s) => s.el.contains(document.activeElement));
    (focused || slots.find((s) => s.isEmpty()) || slots[0]).setFile(file);
  };
  document.addEventListener("paste", onPaste);

  let lastAttempt = null; // {body, key}: a retry after a network error reuses the key
  // Post one request; the first of a series (the user's own action) moves focus to its card.
  async function send(body, index) {
    const text = JSON.stringify(body);
    const key = lastAttempt && lastAttempt.body === text ? lastAttempt.key : randomKey();
    lastAttempt = { body: text, key };
    try {
      const res = await sendJob(body, key);
      lastAttempt = null;
      if (index === 0) cards.get(res.job_id)?.el.focus();
      toast(t("studio.queued"), "success");
      return res.job_id;
    } catch (err) {
      if (!(err instanceof NetworkError)) lastAttempt = null;
      if (err instanceof ApiError && err.status !== 429 && err.status < 500) {
        formError.hidden = false;
        formError.textContent = errorText(err);
      } else toastError(err, t);
      return null;
    }
  }
  async function retry(job) {
    await send(requestOf(job), 0);
  }

  const seedParam = (tool.parameters || []).find((p) => kindOf(p) === "seed");
  const repeat = createRepeatControl({ send, onRunningChange: (on) => (generate.disabled = on || !isReady(tool)) });
  form.querySelector("[data-repeat]").append(repeat.el);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (repeat.running()) return;
    if (!(await prepareSlots(slots, generate, tool))) return;
    const problem = validate(tool, slots, prompt, promptParam, settings);
    formError.hidden = !problem;
    formError.textContent = problem || "";
    if (problem) return;
    const body = { workflow: tool.id, ...settings.values(), images: {} };
    if (prompt) {
      const hasNegative = (tool.parameters || []).some((p) => p.id === "negative_prompt");
      const styled = styles.styled(prompt.value.trim(), body.params.negative_prompt || "");
      body.prompt = styled.prompt;
      if (hasNegative && styled.negative) body.params.negative_prompt = styled.negative;
    }
    for (const ctl of slots) if (ctl.value()) body.images[ctl.slot.id] = ctl.value();
    const masks = slots.filter((ctl) => ctl.mask?.()).map((ctl) => [ctl.slot.id, ctl.mask()]);
    if (masks.length) body.masks = Object.fromEntries(masks);
    if (prompt) rememberPrompt(prompt.value, tool.id);
    generate.disabled = true;
    try {
      await repeat.start(body, seedParam ? seedMax(seedParam) : Number.MAX_SAFE_INTEGER);
    } finally {
      generate.disabled = repeat.running() || !isReady(tool);
    }
  });

  // Ctrl/Cmd+Enter generates from any field of the page's form and settings. A settings input
  // commits its value on "change" (blur), so the field is blurred first.
  const view = root.querySelector(".studio");
  const onKey = (event) => {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey) || event.isComposing || generate.disabled) return;
    event.preventDefault();
    if (event.target.matches?.("input, select")) event.target.blur();
    form.requestSubmit();
  };
  view.addEventListener("keydown", onKey);
  // Opening a tool puts the cursor where work starts: the first image slot, else the prompt.
  (root.querySelector(".slot-zone") || prompt)?.focus();

  return () => {
    saveDraft(tool.id, {
      prompt: prompt ? prompt.value : "",
      ...settings.values(),
      ...settings.values().params,
      inputs: Object.fromEntries(slots.filter((s) => s.upload()).map((s) => [s.slot.id, s.upload()])),
      drawings: Object.fromEntries(slots.filter((s) => s.drawing).map((s) => [s.slot.id, s.drawing()])),
      masks: Object.fromEntries(slots.filter((s) => s.mask?.()).map((s) => [s.slot.id, { upload_id: s.mask() }])),
    });
    unsubscribe();
    stopPlacing();
    repeat.stop();
    history?.destroy();
    document.removeEventListener("paste", onPaste);
    png.destroy();
    for (const ctl of slots) ctl.destroy();
  };
}

/** Let slots that upload on send (a drawing) do so; false when one failed (it was reported). */
async function prepareSlots(slots, generate, tool) {
  generate.disabled = true;
  try {
    await Promise.all(slots.map((ctl) => ctl.prepare?.()));
    return true;
  } catch (err) {
    toastError(err, t);
    return false;
  } finally {
    generate.disabled = !isReady(tool);
  }
}

/**
 * In one column (phone, narrow window) the settings sit inside the form, between the prompt and
 * Generate: set the seed or size, then press Generate without scrolling back up. In two columns
 * they go back beside the form. Returns the cleanup function.
 */
function placeSettings(root, form) {
  const aside = root.querySelector(".studio-settings");
  const layout = root.querySelector(".studio-layout");
  const narrow = matchMedia(ONE_COLUMN);
  const place = () => {
    if (narrow.matches) form.insertBefore(aside, form.querySelector("[data-testid=form-error]"));
    else layout.append(aside);
    aside.classList.toggle("in-form", narrow.matches);
  };
  place();
  narrow.addEventListener("change", place);
  return () => narrow.removeEventListener("change", place);
}

function validate(tool, slots, prompt, promptParam, settings) {
  if (!isReady(tool)) return availabilityText(tool);
  for (const ctl of slots) {
    if (ctl.isBusy()) return t("studio.wait_upload");
    if (ctl.slot.required && !ctl.value()) return t("studio.need_slot", { label: localized(ctl.slot.label) || ctl.slot.id });
  }
  if (prompt && promptParam?.required && !prompt.value.trim()) return t("studio.need_prompt");
  const limit = promptParam?.max_length || DEFAULT_PROMPT_LIMIT;
  if (prompt && prompt.value.length > limit) return t("studio_ux.prompt_too_long", { count: prompt.value.length, limit });
  // The server refuses it too (400 on aspect_ratio); said here in the page's words, before sending.
  const aspect = settings.values().aspect_ratio;
  if (aspect && aspect !== "keep" && slots.some((ctl) => ctl.mask?.())) return t("canvas.mask_needs_keep");
  return settings.validate();
}
