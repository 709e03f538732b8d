// An API error in the page's language. The server writes its messages in English: in English
// they are shown as they are (they name the field and the limit); in another language the
// error's code picks the translation (i18n `error_code.<code>`, the field named after it),
// and the server's message stays only for a code the page does not know.

import { NetworkError, RateLimited } from "./api.js";
import { hasKey, language, t } from "./i18n.js";

/** Words a person can act on for an error from lib/api.js (or any Error). */
export function errorText(err) {
  if (err instanceof RateLimited) return t("error.rate_limited", { seconds: err.retryAfter ?? "?" });
  if (err instanceof NetworkError) return t("error.offline");
  const key = err && err.code ? `error_code.${err.code}` : "";
  const known = key && hasKey(key);
  if (err && err.message && (language() === "en" || !known)) {
    return err.field ? `${err.field}: ${err.message}` : err.message;
  }
  if (!known) return t("error.generic");
  return err.field ? `${t(key)} (${err.field})` : t(key);
}
