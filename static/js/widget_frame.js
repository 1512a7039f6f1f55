// The website chat's page, inside the owner's site's iframe: keeps the visitor's random id in
// localStorage, sends messages and polls for replies (the bot's and the owner's) while open.
(function () {
  "use strict";
  var cfg = document.body.dataset;
  var list = document.getElementById("widget-messages");
  var form = document.getElementById("widget-form");
  var input = document.getElementById("widget-input");
  var sendButton = document.getElementById("widget-send");
  var typing = document.getElementById("widget-typing");
  var human = document.getElementById("widget-human");
  var errorBox = document.getElementById("widget-error");
  var framed = window.parent !== window;
  var storeKey = "bilimbot:" + cfg.key + ":visitor";
  var visitor = null;
  var cursor = 0;
  var shown = {};      // message id → true, once on screen
  var mine = {};       // client id → the bubble shown before the server had it
  var unsent = null;   // {id, text}: sent again with the same id, so it is stored once
  var open = !framed;
  var timer = null;
  var polling = false;

  try { visitor = window.localStorage.getItem(storeKey); } catch (e) { visitor = null; }
  if (!visitor || !/^[A-Za-z0-9_-]{16,48}$/.test(visitor)) {
    visitor = cfg.visitor;
    try { window.localStorage.setItem(storeKey, visitor); } catch (e) { /* private mode */ }
  }

  function randomId() {
    var bytes = new Uint8Array(12);
    window.crypto.getRandomValues(bytes);
    var text = "";
    for (var i = 0; i < bytes.length; i++) { text += ("0" + bytes[i].toString(16)).slice(-2); }
    return text;
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "omit",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        return { ok: r.ok, status: r.status, data: data };
      });
    });
  }

  function bubble(from, text) {
    var el = document.createElement("div");
    el.className = "msg " + from;
    el.setAttribute("data-from", from);
    el.textContent = text;
    list.appendChild(el);
    list.scrollTop = list.scrollHeight;
    return el;
  }

  function showError(text) {
    errorBox.textContent = text || "";
    errorBox.hidden = !text;
  }

  function apply(data) {
    (data.messages || []).forEach(function (m) {
      if (shown[m.id]) return;
      shown[m.id] = true;
      var early = m.client_id && mine[m.client_id];
      if (early) {
        early.classList.remove("sending");
        early.setAttribute("data-id", m.id);
        delete mine[m.client_id];
        return;
      }
      bubble(m.from, m.text).setAttribute("data-id", m.id);
    });
    if (typeof data.cursor === "number") cursor = Math.max(cursor, data.cursor);
    typing.hidden = !data.waiting;
    human.hidden = !data.human;
  }

  function schedule(ms) {
    window.clearTimeout(timer);
    if (open) timer = window.setTimeout(poll, ms);
  }

  function poll() {
    if (polling) return;
    polling = true;
    post(cfg.updatesUrl, { visitor: visitor, after: cursor }).then(function (res) {
      polling = false;
      if (res.ok) { apply(res.data); }
      schedule(res.ok && res.data.waiting ? 1500 : 4000);
    }, function () {
      polling = false;
      schedule(8000);
    });
  }

  function send(text) {
    var id = unsent && unsent.text === text ? unsent.id : randomId();
    unsent = null;
    var el = bubble("visitor", text);
    el.classList.add("sending");
    mine[id] = el;
    sendButton.disabled = true;
    showError("");
    post(cfg.sendUrl, { visitor: visitor, id: id, text: text, lang: cfg.lang }).then(function (res) {
      sendButton.disabled = false;
      if (!res.ok) { fail(id, el, text, res.status === 429 ? cfg.tooFast : res.data.error); return; }
      typing.hidden = false;
      schedule(300);
    }, function () {
      sendButton.disabled = false;
      fail(id, el, text, cfg.error);
    });
  }

  function fail(id, el, text, message) {
    delete mine[id];
    el.remove();
    unsent = { id: id, text: text };
    if (!input.value) input.value = text;
    showError(message || cfg.error);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    input.value = "";
    send(text);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  document.getElementById("widget-close").hidden = !framed;
  document.getElementById("widget-close").addEventListener("click", function () {
    window.parent.postMessage({ type: "bilimbot:close" }, "*");
  });

  // The loader on the owner's page says when the chat is opened or closed.
  window.addEventListener("message", function (event) {
    if (event.source !== window.parent || !event.data) return;
    if (event.data.type === "bilimbot:open") {
      open = true;
      poll();
      input.focus();
    } else if (event.data.type === "bilimbot:closed") {
      open = false;
      window.clearTimeout(timer);
    }
  });

  if (framed) {
    // Labels only, nothing private: the loader uses them for its button.
    window.parent.postMessage(
      { type: "bilimbot:ready", open: cfg.labelOpen, close: cfg.labelClose }, "*"
    );
  } else {
    poll();
  }
})();
