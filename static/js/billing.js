// Request-access page: check a coupon without reloading and show the discounted prices.
// Without JavaScript the "Apply" button submits the form and the server renders the same result.
(function () {
  "use strict";
  var form = document.getElementById("request-form");
  if (!form) return;
  var input = form.querySelector("#coupon");
  var apply = form.querySelector("#apply-coupon");
  var errorBox = form.querySelector("#coupon-error");
  var okBox = form.querySelector("#coupon-ok");

  function show(result) {
    input.classList.toggle("is-invalid", !result.valid && !!result.code);
    input.classList.toggle("is-valid", !!result.valid);
    errorBox.textContent = result.valid ? "" : result.message;
    okBox.textContent = result.valid ? result.message : "";
    if (result.valid) input.value = result.code;
    Object.keys(result.prices || {}).forEach(function (key) {
      var card = form.querySelector('[data-plan="' + key + '"]');
      if (!card) return;
      card.querySelector(".price-due").textContent = result.prices[key].due_text;
      var monthly = card.querySelector(".price-monthly");
      if (monthly) monthly.textContent = result.prices[key].monthly_text;
      var list = card.querySelector(".list-price");
      list.textContent = result.prices[key].list_text;
      list.classList.toggle("d-none", !result.valid);
    });
  }

  function check() {
    apply.disabled = true;
    return fetch(form.getAttribute("data-check-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-CSRFToken": window.BilimBot.csrfToken()
      },
      body: JSON.stringify({ code: input.value })
    }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    }).then(show).catch(function () {
      apply.disabled = false;
      form.requestSubmit(apply);  // fall back to the server-rendered check
    }).finally(function () {
      apply.disabled = false;
    });
  }

  apply.addEventListener("click", function (event) {
    event.preventDefault();
    check();
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter") {
      event.preventDefault();
      check();
    }
  });
})();
