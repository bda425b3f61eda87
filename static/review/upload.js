// Collection dashboard: drop files (or choose them) and upload each one with its own progress
// bar; the server answers per file with the line of the first error, or what was created.
(function () {
  "use strict";

  function csrf(form) {
    return form.querySelector("input[name=csrfmiddlewaretoken]").value;
  }

  function row(list, file) {
    const item = document.createElement("li");
    item.className = "upload-item";
    const name = document.createElement("span");
    name.className = "upload-name";
    name.textContent = file.name;
    const bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", "Upload of " + file.name);
    const status = document.createElement("span");
    status.className = "upload-status";
    status.textContent = "waiting";
    item.append(name, bar, status);
    list.append(item);
    return { item: item, bar: bar, status: status };
  }

  function answer(xhr) {
    try { return JSON.parse(xhr.responseText).files[0]; } catch (e) { return null; }
  }

  function send(form, file, view) {
    return new Promise(function (resolve) {
      const data = new FormData();
      data.append("files", file, file.name);
      const xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.setRequestHeader("X-CSRFToken", csrf(form));
      xhr.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) view.bar.value = Math.round((event.loaded / event.total) * 100);
        view.status.textContent = "uploading";
      });
      xhr.addEventListener("load", function () {
        const result = answer(xhr);
        view.bar.value = 100;
        view.item.classList.add(result && result.ok ? "ok" : "error");
        view.status.textContent = result ? result.message : "Upload failed (HTTP " + xhr.status + ").";
        resolve();
      });
      xhr.addEventListener("error", function () {
        view.item.classList.add("error");
        view.status.textContent = "Upload failed: the connection dropped.";
        resolve();
      });
      xhr.send(data);
    });
  }

  async function uploadAll(form, files) {
    const list = document.getElementById("upload-list");
    const views = Array.from(files).map(function (file) { return [file, row(list, file)]; });
    for (const [file, view] of views) await send(form, file, view);  // one at a time: 2 cores
  }

  function start() {
    const form = document.getElementById("upload-form");
    if (!form) return;
    const input = document.getElementById("upload-files");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (input.files.length) uploadAll(form, input.files).then(function () { input.value = ""; });
    });
    form.addEventListener("dragover", function (event) {
      event.preventDefault();
      form.classList.add("dragging");
    });
    form.addEventListener("dragleave", function () { form.classList.remove("dragging"); });
    form.addEventListener("drop", function (event) {
      event.preventDefault();
      form.classList.remove("dragging");
      if (event.dataTransfer && event.dataTransfer.files.length) uploadAll(form, event.dataTransfer.files);
    });
  }

  document.addEventListener("DOMContentLoaded", start);
})();
