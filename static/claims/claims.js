/* The claim panel on the document page: "Claim" links in the sidebar load the panel with
   htmx (one delegated listener, as app.js does for row buttons); focus moves to the panel so
   keyboard users land where the content appeared. No inline script (CSP). */
(function () {
  "use strict";

  function panel() {
    return document.getElementById("claim-panel");
  }

  document.addEventListener("click", function (event) {
    const link = event.target.closest && event.target.closest("a.claim-open");
    if (link && panel() && window.htmx) {
      event.preventDefault();
      htmx.ajax("GET", link.getAttribute("href"), { source: link, target: "#claim-panel", swap: "outerHTML" });
      return;
    }
    const close = event.target.closest && event.target.closest(".claim-close");
    if (close) {
      const section = panel();
      const id = section && section.dataset.claim;
      if (document.getElementById("workspace")) {
        section.innerHTML = "";
        section.removeAttribute("data-claim");
        const back = id && document.querySelector('a.claim-open[data-claim="' + id + '"]');
        if (back) back.focus();
      } else if (id) {
        history.back();
      }
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    const target = event.detail && event.detail.target;
    if (target && target.id === "claim-panel") {
      const section = panel();
      if (section && section.dataset.claim && !section.contains(document.activeElement)) {
        section.focus();
      }
    }
    if (target && target.id === "publish-queue") {
      // After publishing, the keyboard goes on to the next verdict waiting (or the list).
      const queue = document.getElementById("publish-queue");
      const next = queue && queue.querySelector(".publish-button");
      if (next) next.focus();
      else if (queue) queue.focus();
    }
    paint();
  });

  /** Rating colours come from the admin's scale: set through the CSSOM (CSP allows it). */
  function paint() {
    document.querySelectorAll(".rating-swatch[data-colour]").forEach(function (el) {
      el.style.backgroundColor = el.dataset.colour;
    });
  }
  document.addEventListener("DOMContentLoaded", paint);
})();
