// The review page's card form (docs/decisions/0017): the card goes from this browser to the
// payment processor (the form's data-payment-processor, PAYMENT_SANDBOX_URL), which answers a
// token; only the token (payment_method) is submitted to CertTrack. The card fields have no
// name, so even without this script the browser never sends them to CertTrack.
(function () {
  "use strict";
  var form = document.querySelector("form[data-payment-processor]");
  if (!form) return;
  var processor = form.getAttribute("data-payment-processor");
  var token = form.querySelector("input[name=payment_method]");
  var number = document.getElementById("card-number");
  var expiry = document.getElementById("card-expiry");
  var cvc = document.getElementById("card-cvc");
  var problem = document.getElementById("card-problem");
  var button = form.querySelector("button[type=submit]");
  var sending = false;

  function show(message) {
    var earlier = document.getElementById("order-problem");  // the server's, from the last attempt
    if (earlier) earlier.hidden = true;
    document.getElementById("card-problem-text").textContent = message;
    problem.hidden = false;
    problem.focus();
    sending = false;
    button.disabled = false;
  }

  // What the candidate typed, checked before it goes anywhere; the processor judges the rest.
  function card() {
    var values = {number: number.value.trim(), expiry: expiry.value.replace(/\s/g, ""), cvc: cvc.value.trim()};
    var missing = [];
    if (!values.number) missing.push("card number");
    if (!values.expiry) missing.push("expiry date");
    if (!values.cvc) missing.push("security code (CVC)");
    if (missing.length) return {problem: "Enter the " + missing.join(" and the ") + " of your card."};
    var parts = /^(\d{1,2})\/(\d{2}|\d{4})$/.exec(values.expiry);
    if (!parts || +parts[1] < 1 || +parts[1] > 12) {
      return {problem: "Enter the expiry date as it is printed on the card, month then year: MM/YY, e.g. 12/34."};
    }
    var year = parts[2].length === 2 ? 2000 + +parts[2] : +parts[2];
    return {card: {number: values.number, exp_month: +parts[1], exp_year: year, cvc: values.cvc}};
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (sending) return;  // a double click tokenizes once
    var typed = card();
    if (typed.problem) return show(typed.problem);
    sending = true;
    button.disabled = true;
    fetch(processor + "/v1/payment_methods", {
      method: "POST", mode: "cors", credentials: "omit", cache: "no-store",
      headers: {"Content-Type": "application/json"},
      body: JSON.stringify({type: "card", card: typed.card})
    }).then(function (response) {
      return response.json().then(function (body) { return {ok: response.ok, body: body}; });
    }).then(function (answer) {
      if (!answer.ok || !answer.body.id) {
        var error = answer.body.error || {};
        return show(error.message || "Your card could not be checked. Please try again.");
      }
      token.value = answer.body.id;
      number.value = expiry.value = cvc.value = "";  // nothing of the card stays in the page
      form.submit();
    }).catch(function () {
      show("The payment processor could not be reached, so nothing was charged. Please try again in a moment.");
    });
  });
})();
