(function () {
  if (window.__aigDnd) return;
  window.__aigDnd = true;
  function zone(t) { return t && t.closest ? t.closest('[data-drop-date]') : null; }
  document.addEventListener('dragstart', function (e) {
    var el = e.target && e.target.closest ? e.target.closest('[data-post-id]') : null;
    if (!el) return;
    e.dataTransfer.setData('application/x-aig-post', el.getAttribute('data-post-id'));
    e.dataTransfer.setData('text/plain', el.getAttribute('data-post-id'));
    e.dataTransfer.effectAllowed = 'move';
  });
  document.addEventListener('dragover', function (e) {
    var z = zone(e.target);
    if (!z) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'move';
    z.setAttribute('data-over', '1');
  });
  document.addEventListener('dragleave', function (e) {
    var z = zone(e.target);
    if (z) z.removeAttribute('data-over');
  });
  document.addEventListener('drop', function (e) {
    var z = zone(e.target);
    if (!z) return;
    e.preventDefault();
    z.removeAttribute('data-over');
    var id = e.dataTransfer.getData('application/x-aig-post') ||
      e.dataTransfer.getData('text/plain');
    if (!id) return;
    window.__aigDrop = {id: id, date: z.getAttribute('data-drop-date')};
    var b = document.getElementById('aig-drop-trigger');
    if (b) b.click();
  });
})();
