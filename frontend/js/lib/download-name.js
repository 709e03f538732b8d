// The file name an output is saved under: <tool>_<prompt words>_<seed>_<n>.png, n from 1.
// The server names the same file the same way in its Content-Disposition
// (studio_core/jobs/download_names.py, whose rules this follows step for step), so the
// browser suggests one name whether it takes the link's `download` attribute or the header.

export const MAX_WORDS = 6;
export const MAX_SLUG = 40; // characters (code points), not UTF-16 units

const WORD = /[\p{L}\p{M}\p{N}]+/gu; // runs of letters, marks and digits

/** The prompt's first words, lowercased and joined by "-", bounded in words and characters. */
export function promptSlug(prompt) {
  const words = (String(prompt ?? "").normalize("NFKC").match(WORD) || []).map((w) => w.toLowerCase());
  let slug = "";
  for (const word of words.slice(0, MAX_WORDS)) {
    const joined = slug ? `${slug}-${word}` : word;
    if ([...joined].length > MAX_SLUG) return slug || [...word].slice(0, MAX_SLUG).join("");
    slug = joined;
  }
  return slug;
}

/** The name to save output `index` (0-based position in job.outputs) of a job under. */
export function downloadName(job, index) {
  const seed = job.seed === null || job.seed === undefined ? "" : String(job.seed);
  const parts = [job.tool || "image", promptSlug(job.prompt), seed, String(index + 1)];
  return `${parts.filter(Boolean).join("_")}.png`;
}
