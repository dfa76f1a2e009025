// The search page: talks to the same server's /v1 endpoints; no build step, no outside requests.
const $ = (id) => document.getElementById(id);
let imageBase64 = null;

async function call(method, url, body) {
  const r = await fetch(url, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
  const data = await r.json();
  if (!r.ok) throw new Error(`${data.code}: ${data.message}`);
  return data;
}

async function init() {
  try {
    const r = await fetch('/readyz');
    const s = await r.json();
    if (s.status !== 'ready') {
      $('status').textContent = `models ${s.status}…`;
      setTimeout(init, 1000);
      return;
    }
    $('status').textContent = `serving ${s.tasks.join(', ')}`;
    $('gallery').innerHTML = s.galleries.map((g) => `<option>${g}</option>`).join('');
    const q = new URLSearchParams(location.search).get('q');
    if (q) {
      $('query').value = q;
      await search();
    }
  } catch (e) {
    $('status').textContent = 'server not reachable';
  }
}

async function search() {
  $('search-error').textContent = '';
  const text = $('query').value.trim();
  if (!text) return;
  try {
    const gallery = $('gallery').value;
    const { results } = await call('POST', '/v1/retrieve', { gallery, text, k: 12 });
    $('results').innerHTML = '';
    for (const r of results) {
      const fig = document.createElement('figure');
      const img = document.createElement('img');
      img.src = `/v1/galleries/${encodeURIComponent(gallery)}/items/${encodeURIComponent(r.id)}/media`;
      img.alt = r.id;
      const cap = document.createElement('figcaption');
      const id = document.createElement('b');
      id.textContent = r.id;
      cap.append(id, `score ${r.score.toFixed(3)} · itc ${r.itc.toFixed(3)}`);
      fig.append(img, cap);
      $('results').append(fig);
    }
    document.body.dataset.results = String(results.length);
  } catch (e) {
    $('search-error').textContent = e.message;
  }
}

$('search').addEventListener('submit', (ev) => {
  ev.preventDefault();
  search();
});

$('upload').addEventListener('change', () => {
  const file = $('upload').files[0];
  if (!file) return;
  const reader = new FileReader();
  reader.onload = () => {
    imageBase64 = String(reader.result);
    $('preview').src = imageBase64;
    $('preview').style.display = 'block';
  };
  reader.readAsDataURL(file);
});

$('caption-btn').addEventListener('click', async () => {
  if (!imageBase64) return ($('caption').textContent = 'choose an image first');
  $('caption').textContent = '…';
  try {
    $('caption').textContent = (await call('POST', '/v1/caption', { image: imageBase64 })).caption;
  } catch (e) {
    $('caption').innerHTML = `<span class="error"></span>`;
    $('caption').firstChild.textContent = e.message;
  }
});

$('ask').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  if (!imageBase64) return ($('answer').textContent = 'choose an image first');
  $('answer').textContent = '…';
  try {
    $('answer').textContent = (await call('POST', '/v1/answer', { image: imageBase64, question: $('question').value })).answer;
  } catch (e) {
    $('answer').innerHTML = `<span class="error"></span>`;
    $('answer').firstChild.textContent = e.message;
  }
});

init();
