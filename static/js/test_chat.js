// The dashboard's test chat: posts a question, shows the answer and the passages it used.
(function () {
  "use strict";
  var box = document.getElementById("test-chat");
  if (!box) return;
  var win = document.getElementById("chat-window");
  var form = document.getElementById("chat-form");
  var input = document.getElementById("chat-input");
  var send = document.getElementById("chat-send");

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": window.BilimBot.csrfToken() },
      body: JSON.stringify(body || {})
    });
  }
  function add(msg) {
    var bubble = document.createElement("div");
    bubble.className = "bubble " + (msg.direction === "in" ? "bubble-in align-self-end" : "bubble-out align-self-start");
    if (msg.direction === "in") { bubble.style.background = "#e2e8f0"; }
    bubble.textContent = msg.text || "";
    bubble.setAttribute("data-direction", msg.direction);
    win.appendChild(bubble);
    if (msg.correct_url) {
      var fix = document.createElement("a");
      fix.className = "small align-self-start correct-answer";
      fix.href = msg.correct_url;
      fix.textContent = box.dataset.correctLabel;
      win.appendChild(fix);
    }
    if (msg.sources && msg.sources.length) {
      var details = document.createElement("details");
      details.className = "sources align-self-start";
      var summary = document.createElement("summary");
      summary.textContent = box.dataset.sourcesLabel + " (" + msg.sources.length + ")";
      details.appendChild(summary);
      msg.sources.forEach(function (s) {
        var p = document.createElement("p");
        p.className = "mb-1 chat-source";
        p.textContent = (s.owner ? box.dataset.ownerLabel : "#" + s.position) + ": " + s.text;
        details.appendChild(p);
      });
      win.appendChild(details);
    }
    win.scrollTop = win.scrollHeight;
  }
  fetch(box.dataset.historyUrl, { credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (items) { items.forEach(add); });

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    add({ direction: "in", text: text });
    input.value = "";
    send.disabled = true;
    post(box.dataset.sendUrl, { text: text })
      .then(function (r) {
        if (r.status === 429) return { error: box.dataset.rateLimited };
        return r.json();
      })
      .then(function (reply) {
        var failed = reply.error ? (typeof reply.error === "string" ? reply.error : box.dataset.error) : null;
        add(failed ? { direction: "out", text: failed } : reply);
      })
      .catch(function () { add({ direction: "out", text: box.dataset.error }); })
      .finally(function () { send.disabled = false; input.focus(); });
  });
  document.getElementById("chat-reset").addEventListener("click", function () {
    post(box.dataset.resetUrl).then(function () { win.innerHTML = ""; });
  });
})();
