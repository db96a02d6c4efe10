/* The outbox: every capture is kept in IndexedDB (photos as Blobs) until the server has
   answered for it, then sent one at a time with XMLHttpRequest (for upload progress).
   A capture is `waiting`, `sending`, `saved` or `refused`; network failures and server
   errors make it wait and retry with growing pauses (2 s ... 5 min), and at once when the
   browser says it is online again. The same client_id is sent on every try, so the server
   stores a capture once however often it is retried. */
(function () {
  "use strict";
  const DB_NAME = "wikitown-phone";
  const BACKOFF_MIN_MS = 2000;
  const BACKOFF_MAX_MS = 5 * 60 * 1000;
  const REQUEST_TIMEOUT_MS = 10 * 60 * 1000;
  let dbPromise = null;

  function openDb() {
    return new Promise((resolve, reject) => {
      const req = indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = () => {
        const db = req.result;
        if (!db.objectStoreNames.contains("captures")) db.createObjectStore("captures", { keyPath: "client_id" });
        if (!db.objectStoreNames.contains("kv")) db.createObjectStore("kv");
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }

  function db() {
    if (!dbPromise) dbPromise = openDb();
    return dbPromise;
  }

  function tx(store, mode, action) {
    return db().then((d) => new Promise((resolve, reject) => {
      const t = d.transaction(store, mode);
      let result;
      const req = action(t.objectStore(store));
      if (req) req.onsuccess = () => { result = req.result; };
      t.oncomplete = () => resolve(result);
      t.onerror = t.onabort = () => reject(t.error);
    }));
  }

  const store = {
    put: (capture) => tx("captures", "readwrite", (s) => s.put(capture)),
    get: (id) => tx("captures", "readonly", (s) => s.get(id)),
    all: () => tx("captures", "readonly", (s) => s.getAll()),
    getKv: (key) => tx("kv", "readonly", (s) => s.get(key)),
    setKv: (key, value) => tx("kv", "readwrite", (s) => s.put(value, key)),
    delKv: (key) => tx("kv", "readwrite", (s) => s.delete(key)),
  };

  function newClientId() {
    if (self.crypto && crypto.randomUUID) return crypto.randomUUID();
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function backoff(attempts) {
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * Math.pow(2, Math.max(0, attempts - 1)));
    return base / 2 + Math.random() * base / 2;
  }

  /* Live progress (fraction per photo) is kept in memory; only states go to the database. */
  const progress = new Map();
  const listeners = new Set();
  function changed(capture) { listeners.forEach((fn) => { try { fn(capture); } catch (e) { console.error(e); } }); }

  function post(capture, token, lang) {
    return new Promise((resolve) => {
      const form = new FormData();
      form.append("client_id", capture.client_id);
      form.append("note", capture.note || "");
      if (capture.lat != null && capture.lon != null) {
        form.append("lat", String(capture.lat));
        form.append("lon", String(capture.lon));
        if (capture.accuracy_m != null) form.append("accuracy_m", String(capture.accuracy_m));
      }
      if (capture.taken_at) form.append("taken_at", capture.taken_at);
      if (capture.site_id) form.append("site_id", capture.site_id);
      Object.entries(capture.fields || {}).forEach(([k, v]) => form.append("field." + k, String(v)));
      const photos = capture.photos.filter((p) => p.blob);
      photos.forEach((p) => form.append("photo", p.blob, p.name));
      const sizes = photos.map((p) => p.blob.size);
      const filesTotal = sizes.reduce((a, b) => a + b, 0);
      const xhr = new XMLHttpRequest();
      xhr.open("POST", "/api/v1/events/" + encodeURIComponent(capture.slug) + "/finds?lang=" + lang);
      xhr.setRequestHeader("Authorization", "Bearer " + token);
      xhr.timeout = REQUEST_TIMEOUT_MS;
      xhr.upload.onprogress = (e) => {
        if (!e.lengthComputable) return;
        // The text fields come first in the body, then the photos in order.
        let done = Math.max(0, Math.min(filesTotal, e.loaded - (e.total - filesTotal)));
        const fractions = sizes.map((size) => {
          const f = size ? Math.min(1, done / size) : 1;
          done = Math.max(0, done - size);
          return f;
        });
        progress.set(capture.client_id, fractions);
        changed(capture);
      };
      xhr.onload = () => {
        let body = null;
        try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
        resolve({ status: xhr.status, body, retryAfter: Number(xhr.getResponseHeader("Retry-After")) || 0 });
      };
      xhr.onerror = () => resolve({ status: 0, body: null });
      xhr.ontimeout = () => resolve({ status: 0, body: null });
      xhr.onabort = () => resolve({ status: 0, body: null });
      xhr.send(form);
    });
  }

  function applyAnswer(capture, body) {
    capture.result = body;
    const answers = body.photos || [];
    const sent = capture.photos.filter((p) => p.blob);
    sent.forEach((p, i) => {
      const a = answers[i] || {};
      p.state = a.state || "saved";
      p.reason = a.reason || "";
      p.progress = 1;
    });
    const anySaved = sent.some((p) => p.state === "saved" || p.state === "duplicate");
    capture.state = body.find_id || anySaved || sent.length === 0 ? "saved" : "refused";
    if (capture.state === "refused") capture.reason = sent.map((p) => p.reason).filter(Boolean).join(" ");
    // The server has them: free the phone's storage, keep what the list shows.
    capture.photos.forEach((p) => { p.blob = null; });
  }

  const Outbox = {
    store,
    progress,
    onChange(fn) { listeners.add(fn); },
    newClientId,
    sending: false,
    session: null, // { slug, token, lang }

    async add(capture) {
      capture.state = "waiting";
      capture.attempts = 0;
      capture.next_try = 0;
      await store.put(capture);
      changed(capture);
      this.sendDue(true);
    },

    async list(slug) {
      const all = await store.all();
      return all.filter((c) => c.slug === slug).sort((a, b) => b.created - a.created);
    },

    /* After a reload, a capture caught mid-send is simply waiting again. */
    async recover() {
      for (const c of await store.all()) {
        if (c.state === "sending") { c.state = "waiting"; await store.put(c); }
      }
    },

    async sendDue(force) {
      if (this.sending || !this.session || !navigator.onLine) return;
      this.sending = true;
      try {
        for (;;) {
          const now = Date.now();
          const due = (await store.all())
            .filter((c) => c.slug === this.session.slug && c.state === "waiting" && (force || !c.next_try || c.next_try <= now))
            .sort((a, b) => a.created - b.created);
          if (!due.length || !this.session) break;
          const ok = await this.sendOne(due[0]);
          if (!ok) break; // the network or the server is down: the timer tries again
        }
      } finally {
        this.sending = false;
      }
    },

    async sendOne(capture) {
      const session = this.session;
      capture.state = "sending";
      capture.attempts = (capture.attempts || 0) + 1;
      await store.put(capture);
      progress.set(capture.client_id, capture.photos.filter((p) => p.blob).map(() => 0));
      changed(capture);
      const answer = await post(capture, session.token, session.lang);
      const fresh = (await store.get(capture.client_id)) || capture;
      progress.delete(capture.client_id);
      if (answer.status >= 200 && answer.status < 300 && answer.body) {
        applyAnswer(fresh, answer.body);
        fresh.error = "";
        await store.put(fresh);
        changed(fresh);
        return true;
      }
      if (answer.status === 401) {
        // The server no longer knows this phone's token: join again, the capture waits.
        fresh.state = "waiting";
        fresh.error = answer.body && answer.body.message || "";
        await store.put(fresh);
        changed(fresh);
        if (this.onUnauthorized) this.onUnauthorized();
        return false;
      }
      if ([400, 403, 404, 413, 422].includes(answer.status)) {
        fresh.state = "refused";
        fresh.reason = answer.body && answer.body.message || String(answer.status);
        await store.put(fresh);
        changed(fresh);
        return true;
      }
      // Offline, the server down or busy: wait and try again.
      fresh.state = "waiting";
      const wait = answer.retryAfter ? answer.retryAfter * 1000 : backoff(fresh.attempts);
      fresh.next_try = Date.now() + wait;
      fresh.error = answer.body && answer.body.message || "";
      await store.put(fresh);
      changed(fresh);
      return false;
    },
  };

  self.WikitownOutbox = Outbox;
})();
