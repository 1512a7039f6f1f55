// A conversation's reply box: choosing a saved reply puts its text where the cursor is (or
// replaces the selection), ready to be changed and sent.
(function () {
  "use strict";
  var picker = document.getElementById("canned-select");
  if (!picker) return;
  var box = document.querySelector(picker.getAttribute("data-target"));
  if (!box) return;
  picker.addEventListener("change", function () {
    var option = picker.options[picker.selectedIndex];
    var text = option && option.getAttribute("data-text");
    if (!text) return;
    var start = box.selectionStart || 0;
    var end = box.selectionEnd || start;
    box.value = box.value.slice(0, start) + text + box.value.slice(end);
    box.focus();
    box.selectionStart = box.selectionEnd = start + text.length;
    picker.selectedIndex = 0;
  });
})();
