// Polls the origin clock; behind the edge it changes at most every 5 s (max-age=5).
(function () {
  var out = document.getElementById('clock');
  function tick() {
    fetch('/api/time').then(function (r) { return r.json(); }).then(function (t) {
      out.textContent = t.now;
    }).catch(function () { out.textContent = 'unavailable'; });
  }
  tick();
  setInterval(tick, 2000);
})();
