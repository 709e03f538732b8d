// Thumbnails of a finished job's outputs; a click opens the lightbox.

import { element, html } from "../lib/html.js";
import { t } from "../lib/i18n.js";
import { icon } from "../lib/icons.js";
import { downloadName } from "../lib/job-actions.js";
import { imageSources } from "../lib/renditions.js";

// How wide a result is drawn: "auto" (lazy images) lets the browser use the laid-out width; the
// rest is for browsers without it: a phone's full width, else the 560 px cap of .results-grid.
const RESULT_SIZES = "auto, (max-width: 520px) 100vw, 560px";

/** The outputs of a job, from `outputs` or (older rows) from `images`. */
export function outputsOf(job) {
  if (Array.isArray(job.outputs) && job.outputs.length) return job.outputs;
  return (job.images || []).map((url) => ({ url, thumb_url: url }));
}

/** Build the grid element; onOpen(index) is called when an image is activated. */
export function createResultsGrid(job, { onOpen }) {
  const outputs = outputsOf(job);
  const el = element(html`<div class="results-grid n-${Math.min(outputs.length, 4)}" data-testid="results-grid">
    ${outputs.map((out, i) => html`<figure class="result">
      <button type="button" class="result-open" data-index="${i}" aria-label="${t("result.open", { n: i + 1 })}">
        <img src="${imageSources(out).src}" srcset="${imageSources(out).srcset}" sizes="${RESULT_SIZES}"
          alt="${t("result.alt", { n: i + 1 })}" loading="lazy" decoding="async"
          width="${out.width || ""}" height="${out.height || ""}" data-testid="result-image" data-full="${out.url}">
      </button>
      <a class="icon-btn small result-download" href="${out.url}" download="${downloadName(job, i)}"
        data-testid="result-download" aria-label="${t("common.download")}">${icon("download", { size: 16 })}</a>
    </figure>`)}
  </div>`);
  const first = outputs[0];
  // CSSOM (allowed by the CSP, unlike style attributes): lets a single result hug its image.
  if (first?.width && first?.height) el.style.setProperty("--ar", String(first.width / first.height));
  el.addEventListener("click", (event) => {
    const button = event.target.closest(".result-open");
    if (button) onOpen(Number(button.dataset.index));
  });
  for (const img of el.querySelectorAll("img")) {
    img.addEventListener("error", () => img.closest("figure").classList.add("broken"), { once: true });
  }
  return el;
}
