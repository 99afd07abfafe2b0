// The sign-in link page: posts the token of the address's fragment (which
// no server and no Referer ever saw) once, then goes to the console or the
// portal. Its text is in link.html; this only shows the right paragraph.
const token = location.hash.slice(1);
// the token leaves the address bar and the history at once
history.replaceState(null, '', location.pathname);

function show(id) {
  for (const p of document.querySelectorAll('main p')) p.hidden = p.id !== id;
}

async function redeem() {
  if (!token) return show('msg-missing');
  let response;
  try {
    response = await fetch('/api/v1/sign-in-links/redeem', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ token }),
      credentials: 'same-origin',
    });
  } catch {
    return show('msg-offline');
  }
  if (response.ok) {
    const { next } = await response.json();
    // only a path of this origin
    location.replace(typeof next === 'string' && /^\/[a-z]/.test(next) ? next : '/console/');
  } else {
    show(response.status === 401 ? 'msg-used' : 'msg-failed');
  }
}

redeem();
