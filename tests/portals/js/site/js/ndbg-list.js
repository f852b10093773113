// The column list is data: list.json, rendered into #list and #pager.
(function () {
  var ul = document.getElementById('list');
  var page = parseInt(ul.getAttribute('data-page') || '0', 10);
  function name(n) { return n === 0 ? 'index.html' : 'index_' + n + '.html'; }
  var xhr = new XMLHttpRequest();
  xhr.open('GET', 'list.json');
  xhr.onload = function () {
    var data = JSON.parse(xhr.responseText);
    var size = data.pageSize, items = data.items, pages = Math.ceil(items.length / size);
    ul.innerHTML = '';
    items.slice(page * size, page * size + size).forEach(function (it) {
      var li = document.createElement('li');
      var a = document.createElement('a');
      a.href = it.url; a.title = it.title; a.textContent = it.title;
      var span = document.createElement('span');
      span.textContent = it.date;
      li.appendChild(a); li.appendChild(span); ul.appendChild(li);
    });
    var pager = document.getElementById('pager');
    function link(text, n) {
      var a = document.createElement('a');
      a.href = name(n); a.textContent = text; pager.appendChild(a); pager.appendChild(document.createTextNode(' '));
    }
    if (page > 0) link('上一页', page - 1);
    for (var n = 0; n < pages; n++) link(String(n + 1), n);
    if (page < pages - 1) link('下一页', page + 1);
  };
  xhr.send();
})();
