// Dates in the reader's own time zone: every <time datetime="…"> the server wrote (in UTC, in the
// page's language) is rewritten by the browser in the page's language and the device's time zone.
"use strict";
(() => {
  const lang = document.documentElement.lang || "en";
  let format = null;
  try {
    format = new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" });
  } catch (_) {
    return;  // an old browser: the server's UTC text stays
  }
  function localise(root) {
    for (const element of (root || document).querySelectorAll("time[datetime]")) {
      const moment = new Date(element.getAttribute("datetime"));
      if (Number.isNaN(moment.getTime()) || element.dataset.localised) continue;
      if (!element.title) element.title = element.textContent;
      element.textContent = format.format(moment);
      element.dataset.localised = "1";
    }
  }
  document.addEventListener("DOMContentLoaded", () => localise(document));
  if (document.readyState !== "loading") localise(document);
  window.CivicIDTime = { localise, format: (moment) => format.format(new Date(moment)) };
})();
