// Knowledge-base upload: drag-and-drop or picker, an XHR with a progress bar, then polling until
// the background extraction is done. Without JavaScript the form posts normally.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form) return;
  var input = document.getElementById("file");
  var zone = document.getElementById("dropzone");
  var chosen = document.getElementById("chosen-file");
  var progress = document.getElementById("upload-progress");
  var bar = progress.querySelector(".progress-bar");
  var statusBox = document.getElementById("upload-status");
  var button = document.getElementById("upload-button");
  var allowed = ["pdf", "docx", "csv", "txt"];

  function say(text, kind) {
    statusBox.className = "small mt-2 " + (kind === "error" ? "text-danger" : "text-secondary");
    statusBox.textContent = text;
  }
  function setProgress(pct) {
    bar.style.width = pct + "%";
    bar.textContent = pct + "%";
  }
  function check(file) {
    var ext = (file.name.split(".").pop() || "").toLowerCase();
    if (allowed.indexOf(ext) < 0) return form.dataset.badType;
    if (file.size > Number(form.dataset.maxBytes)) return form.dataset.tooLarge;
    return null;
  }
  function showChosen() {
    var file = input.files[0];
    chosen.textContent = file ? file.name : "";
    var problem = file && check(file);
    say(problem || "", problem ? "error" : "info");
  }
  input.addEventListener("change", showChosen);
  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (e) { e.preventDefault(); zone.classList.add("dragover"); });
  });
  ["dragleave", "drop"].forEach(function (name) {
    zone.addEventListener(name, function (e) { e.preventDefault(); zone.classList.remove("dragover"); });
  });
  zone.addEventListener("drop", function (e) {
    if (e.dataTransfer && e.dataTransfer.files.length) {
      input.files = e.dataTransfer.files;
      showChosen();
    }
  });

  function poll(url) {
    say(form.dataset.processing, "info");
    fetch(url, { headers: { "X-Requested-With": "XMLHttpRequest" }, credentials: "same-origin" })
      .then(function (r) {
        // Gone (a newer upload replaced it) or refused: the page itself shows the current state.
        if (!r.ok) { window.location.reload(); return null; }
        return r.json();
      })
      .then(function (data) {
        if (data === null) return;
        if (data.status === "processing") { setTimeout(function () { poll(url); }, 700); }
        else { window.location.reload(); }
      })
      // Network trouble only (the server answered nothing): try again a little later.
      .catch(function () { setTimeout(function () { poll(url); }, 1500); });
  }

  form.addEventListener("submit", function (e) {
    var file = input.files[0];
    if (!file) return; // let the server explain
    var problem = check(file);
    e.preventDefault();
    if (problem) { say(problem, "error"); return; }
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    xhr.setRequestHeader("X-CSRFToken", window.BilimBot.csrfToken());
    progress.classList.remove("d-none");
    button.disabled = true;
    setProgress(0);
    xhr.upload.addEventListener("progress", function (ev) {
      if (ev.lengthComputable) setProgress(Math.round((ev.loaded / ev.total) * 100));
    });
    xhr.onload = function () {
      var data = {};
      try { data = JSON.parse(xhr.responseText); } catch (err) { data = {}; }
      if (xhr.status === 202 && data.status_url) {
        setProgress(100);
        poll(data.status_url);
      } else {
        button.disabled = false;
        progress.classList.add("d-none");
        say(data.error || form.dataset.failed, "error");
      }
    };
    xhr.onerror = function () {
      button.disabled = false;
      say(form.dataset.failed, "error");
    };
    xhr.send(new FormData(form));
  });

  var note = document.getElementById("processing-note");
  if (note) poll(note.dataset.statusUrl);
})();
