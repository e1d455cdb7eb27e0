// Optional: without JavaScript the buttons stay hidden and the mailto link and draft work.
document.addEventListener("click", function (event) {
  var button = event.target.closest("button.copy");
  if (!button) return;
  var source = document.getElementById(button.getAttribute("data-copy"));
  if (!source) return;
  var label = button.getAttribute("data-label");
  if (!label) {
    label = button.textContent;
    button.setAttribute("data-label", label);
  }
  var done = function (text) {
    button.textContent = text;
    setTimeout(function () { button.textContent = label; }, 2000);
  };
  if (navigator.clipboard && navigator.clipboard.writeText) {
    navigator.clipboard.writeText(source.textContent).then(
      function () { done("Copied"); },
      function () { done("Press Ctrl+C to copy"); select(source); }
    );
  } else {
    select(source);
    done("Press Ctrl+C to copy");
  }
});
function select(element) {
  var details = element.closest("details");
  if (details) details.open = true;
  var range = document.createRange();
  range.selectNodeContents(element);
  var selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
}
document.querySelectorAll("button.copy[hidden]").forEach(function (b) { b.hidden = false; });
