// Which file the browser shows for an output: the WebP thumbnail where it is drawn small, the
// full image where it is drawn large (a 384 px thumbnail stretched to 538 px looks blurry).

import { safeUrl } from "./html.js";

/**
 * The longest side of a thumbnail: the studio's default `thumb_px`. Only the browser's choice
 * between the two files depends on it; a studio set to other sizes still shows both correctly.
 */
const THUMB_PX = 384;

/** Width of the thumbnail of a width x height output (scaled down, never up). */
function thumbWidth(width, height) {
  return Math.round(width * Math.min(1, THUMB_PX / Math.max(width, height)));
}

/**
 * `src` and `srcset` for an output {url, thumb_url, width, height}: the browser picks the
 * thumbnail or the full image by the slot's width (`sizes`) and the screen's pixel density.
 * Without a known size (older rows) the thumbnail is all there is to offer.
 */
export function imageSources(out) {
  const src = out.thumb_url || out.url;
  if (!out.thumb_url || !out.width || !out.height) return { src, srcset: "" };
  const thumb = thumbWidth(out.width, out.height);
  if (thumb >= out.width) return { src, srcset: "" }; // the thumbnail is the full size
  // srcset is not a URL attribute the html tag filters, so its URLs are checked here.
  return { src, srcset: `${safeUrl(out.thumb_url)} ${thumb}w, ${safeUrl(out.url)} ${out.width}w` };
}
