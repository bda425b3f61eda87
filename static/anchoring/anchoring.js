// Living documents: keys on the re-anchoring queue, and selecting a span's new place.
// The server stores Unicode code points; DOM offsets count UTF-16 units: converted here.
"use strict";
(function () {
  function u16ToCp(s, u16) {
    let cp = 0;
    for (let i = 0; i < u16; i++) {
      const c = s.charCodeAt(i);
      if (!(c >= 0xdc00 && c <= 0xdfff && i > 0 && s.charCodeAt(i - 1) >= 0xd800 && s.charCodeAt(i - 1) <= 0xdbff)) cp++;
    }
    return cp;
  }

  function domToU16(root, node, offset) {
    const range = document.createRange();
    range.setStart(root, 0);
    range.setEnd(node, offset);
    return range.toString().length;
  }

  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  // The queue: j/k move, c confirm, r re-place, d discard.
  function items() {
    return Array.from(document.querySelectorAll(".anchor-item"));
  }
  function current() {
    return document.querySelector(".anchor-item.current") || items()[0] || null;
  }
  function focusItem(item) {
    items().forEach(function (el) { el.classList.remove("current"); });
    if (item) {
      item.classList.add("current");
      item.focus();
    }
  }
  function move(step) {
    const all = items();
    if (!all.length) return;
    const i = all.indexOf(current());
    focusItem(all[Math.max(0, Math.min(all.length - 1, i + step))]);
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    const place = document.getElementById("place-form");
    if (place) {
      if (event.key === "Enter" && !place.querySelector("#place-submit").disabled) {
        event.preventDefault();
        place.requestSubmit();
      }
      return;
    }
    if (!document.getElementById("anchor-queue")) return;
    if (event.key === "j") { move(1); return; }
    if (event.key === "k") { move(-1); return; }
    const item = current();
    if (!item) return;
    const control = item.querySelector('[data-key="' + event.key + '"]');
    if (control) {
      event.preventDefault();
      focusItem(item);
      control.click();
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    const error = document.getElementById("anchor-error");
    if (event.detail.target === error) {
      error.hidden = !error.textContent.trim();
      return;
    }
    if (error) error.hidden = true;
  });

  document.addEventListener("DOMContentLoaded", function () {
    const queue = document.getElementById("anchor-queue");
    if (!queue) return;
    focusItem(items()[0]);
    // A decided span leaves the list (htmx swaps it for nothing): the next one gets the focus.
    new MutationObserver(function () {
      if (!document.querySelector(".anchor-item.current")) focusItem(items()[0]);
    }).observe(queue, { childList: true });
  });

  // The place page: the selection inside #place-text becomes start, end and quote.
  document.addEventListener("selectionchange", function () {
    const root = document.getElementById("place-text");
    const form = document.getElementById("place-form");
    if (!root || !form) return;
    const selection = window.getSelection();
    const button = form.querySelector("#place-submit");
    const info = document.getElementById("place-info");
    if (!selection.rangeCount || selection.isCollapsed) { button.disabled = true; return; }
    const range = selection.getRangeAt(0);
    if (!root.contains(range.startContainer) || !root.contains(range.endContainer)) { button.disabled = true; return; }
    const text = root.textContent;
    const a = domToU16(root, range.startContainer, range.startOffset);
    const b = domToU16(root, range.endContainer, range.endOffset);
    const start = u16ToCp(text, a);
    const end = u16ToCp(text, b);
    form.elements.start.value = start;
    form.elements.end.value = end;
    form.elements.quote.value = text.slice(a, b);
    button.disabled = end <= start;
    info.textContent = end > start ? "Selected " + (end - start) + " characters." : "";
  });
})();
