// Bookline embed: <script src="https://book.example.com/widget.js" data-business="maple-street"
// data-service="haircut" async></script>. Puts the booking page in an iframe where the script tag
// is (or in the element named by data-target), passes data-* prefill to it, resizes it to its
// content, and re-posts the widget's events to the host page as "bookline:*" messages and DOM
// events. Host pages should check event.origin against the widget's origin.
(function () {
  'use strict';
  var script = document.currentScript;
  if (!script) return;
  var src = new URL(script.src);
  var d = script.dataset;
  var q = new URLSearchParams();
  ['business', 'service', 'staff', 'name', 'email', 'phone', 'notes', 'date'].forEach(function (k) {
    if (d[k]) q.set(k, d[k]);
  });
  var frame = document.createElement('iframe');
  frame.src = src.origin + '/widget?' + q.toString();
  frame.title = d.title || 'Book an appointment';
  frame.style.cssText = 'width:100%;max-width:720px;border:0;min-height:480px;display:block';
  frame.setAttribute('loading', 'lazy');
  var target = d.target ? document.querySelector(d.target) : null;
  if (target) target.appendChild(frame);
  else script.parentNode.insertBefore(frame, script.nextSibling);
  window.addEventListener('message', function (e) {
    if (e.origin !== src.origin || e.source !== frame.contentWindow) return;
    var m = e.data;
    if (!m || typeof m.event !== 'string' || m.event.indexOf('bookline:') !== 0) return;
    if (m.event === 'bookline:height' && typeof m.payload.height === 'number') {
      frame.style.height = Math.ceil(m.payload.height) + 'px';
      return;
    }
    (target || script.parentNode).dispatchEvent(new CustomEvent(m.event, { detail: m.payload, bubbles: true }));
  });
})();
