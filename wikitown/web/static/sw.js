/* The phone page's service worker: keeps the page and its strings so it opens without a
   network. Network first (a new version reaches phones at once), the kept copy when offline
   or after a few seconds without an answer. Uploads are never touched here: the outbox
   (IndexedDB) keeps and sends them. */
const CACHE = "wikitown-phone-v1";
const SHELL = ["/phone/", "/phone/phone.js", "/phone/outbox.js", "/phone/phone.css", "/phone/manifest.webmanifest",
               "/phone/icon.svg", "/api/v1/i18n/ja", "/api/v1/i18n/en"];
const NETWORK_WAIT_MS = 4000;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

function shellKey(url) {
  return url.pathname === "/phone/" || url.pathname === "/phone/index.html" ? "/phone/" : url.pathname;
}

async function networkFirst(request, url) {
  const cache = await caches.open(CACHE);
  const key = shellKey(url);
  const network = fetch(request).then((response) => {
    if (response.ok) cache.put(key, response.clone());
    return response;
  });
  const timeout = new Promise((resolve) => setTimeout(resolve, NETWORK_WAIT_MS, null));
  try {
    const first = await Promise.race([network, timeout]);
    if (first) return first;
  } catch (err) { /* offline: the kept copy */ }
  const kept = await cache.match(key);
  if (kept) return kept;
  return network;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (SHELL.includes(shellKey(url)) || url.pathname === "/phone/index.html") {
    event.respondWith(networkFirst(request, url));
  }
});
