// Behaviour of every page, kept out of the HTML so the Content-Security-Policy can forbid inline scripts.
// <select data-autosubmit> submits its form when changed (the language switch; <noscript> offers a button).
document.addEventListener("change", function (event) {
  var el = event.target;
  if (el instanceof HTMLSelectElement && el.hasAttribute("data-autosubmit") && el.form) {
    el.form.submit();
  }
});
