/* The participant's phone page: join, capture (photos, note, note fields, position, time),
   the outbox's states, and the event's sites nearby. Works offline once opened: the
   service worker keeps this page, the outbox keeps the captures. Strings come from the
   locale catalogues (/api/v1/i18n/<lang>), Japanese first. */
(function () {
  "use strict";
  const Outbox = self.WikitownOutbox;
  const params = new URLSearchParams(location.search);
  const $ = (id) => document.getElementById(id);
  const state = {
    slug: params.get("event") || "",
    lang: "ja",
    texts: {},
    event: null,
    session: null,
    position: null, // { lat, lon, accuracy, at }
    sites: [],
    chosenGps: [], // per chosen photo: true when it carries GPS itself
    useHere: null, // the answer to "did you take it here?"
  };

  // ------------------------------------------------------------------------------------------
  // strings

  function T(key, values) {
    let text = state.texts[key] || key;
    Object.entries(values || {}).forEach(([k, v]) => { text = text.split("{" + k + "}").join(String(v)); });
    return text;
  }

  async function loadTexts(lang) {
    try {
      const res = await fetch("/api/v1/i18n/" + lang);
      if (res.ok) {
        state.texts = await res.json();
        await Outbox.store.setKv("texts:" + lang, state.texts);
        return;
      }
    } catch (e) { /* offline: the copy kept below */ }
    state.texts = (await Outbox.store.getKv("texts:" + lang)) || state.texts;
  }

  function applyTexts() {
    document.documentElement.lang = state.lang;
    document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = T(el.dataset.i18n); });
    $("lang-switch").textContent = state.lang === "ja" ? "English" : "日本語";
    showNet();
  }

  // ------------------------------------------------------------------------------------------
  // network state

  function showNet() {
    const online = navigator.onLine;
    $("net").dataset.online = online ? "yes" : "no";
    $("net").textContent = online ? T("phone.net.online") : T("phone.net.offline");
    $("outbox-offline").hidden = online;
  }

  // ------------------------------------------------------------------------------------------
  // position

  function watchPosition() {
    if (!navigator.geolocation) return;
    navigator.geolocation.watchPosition((pos) => {
      state.position = { lat: pos.coords.latitude, lon: pos.coords.longitude,
                         accuracy: pos.coords.accuracy, at: Date.now() };
      renderWhere();
      renderNearby();
      renderSiteDistance();
    }, () => { /* denied or unavailable: the question is not asked, sites are picked by hand */ },
    { enableHighAccuracy: true, maximumAge: 30000, timeout: 20000 });
  }

  function distanceM(lat1, lon1, lat2, lon2) {
    const r = 6371008.8, rad = Math.PI / 180;
    const dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
    const a = Math.sin(dlat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dlon / 2) ** 2;
    return 2 * r * Math.asin(Math.sqrt(a));
  }

  function bearing(lat1, lon1, lat2, lon2) {
    const rad = Math.PI / 180;
    const y = Math.sin((lon2 - lon1) * rad) * Math.cos(lat2 * rad);
    const x = Math.cos(lat1 * rad) * Math.sin(lat2 * rad) - Math.sin(lat1 * rad) * Math.cos(lat2 * rad) * Math.cos((lon2 - lon1) * rad);
    return (Math.atan2(y, x) / rad + 360) % 360;
  }

  function direction(deg) {
    const names = ["n", "ne", "e", "se", "s", "sw", "w", "nw"];
    return T("phone.dir." + names[Math.round(deg / 45) % 8]);
  }

  function metres(m) {
    return m >= 1000 ? T("phone.km", { km: (m / 1000).toFixed(1) }) : T("phone.m", { m: Math.round(m) });
  }

  /* Does this photo carry GPS itself? JPEG EXIF only (GPSLatitude present); anything else is
     treated as "no", so the participant is asked. */
  async function photoHasGps(file) {
    try {
      const view = new DataView(await file.slice(0, 256 * 1024).arrayBuffer());
      if (view.getUint16(0) !== 0xffd8) return false;
      let off = 2;
      while (off + 10 < view.byteLength) {
        const marker = view.getUint16(off);
        const len = view.getUint16(off + 2);
        if (marker === 0xffe1 && view.getUint32(off + 4) === 0x45786966) {
          const tiff = off + 10;
          const le = view.getUint16(tiff) === 0x4949;
          const u16 = (o) => view.getUint16(o, le), u32 = (o) => view.getUint32(o, le);
          const ifd0 = tiff + u32(tiff + 4);
          for (let i = 0, n = u16(ifd0); i < n; i++) {
            const entry = ifd0 + 2 + i * 12;
            if (u16(entry) !== 0x8825) continue;
            const gps = tiff + u32(entry + 8);
            for (let j = 0, m = u16(gps); j < m; j++) if (u16(gps + 2 + j * 12) === 2) return true;
            return false;
          }
          return false;
        }
        if ((marker & 0xff00) !== 0xff00 || marker === 0xffda) return false;
        off += 2 + len;
      }
    } catch (e) { /* unreadable: ask */ }
    return false;
  }

  // ------------------------------------------------------------------------------------------
  // event and session

  async function loadEvent() {
    if (!state.slug) return null;
    try {
      const res = await fetch("/api/v1/events/" + encodeURIComponent(state.slug) + "?lang=" + state.lang);
      if (res.ok) {
        const info = await res.json();
        await Outbox.store.setKv("event:" + state.slug, info);
        return info;
      }
    } catch (e) { /* offline */ }
    return (await Outbox.store.getKv("event:" + state.slug)) || null;
  }

  function showNotice(text) {
    $("notice").textContent = text;
    $("notice").hidden = !text;
  }

  function showJoin() {
    $("join").hidden = false;
    $("capture").hidden = true;
    $("nearby-section").hidden = true;
    $("join-code").value = params.get("code") || $("join-code").value;
    $("join-team").value = params.get("team") || "";
    const select = $("join-licence");
    select.innerHTML = "";
    ((state.event && state.event.licences) || []).forEach((lic) => {
      const opt = document.createElement("option");
      opt.value = lic.id;
      opt.textContent = lic.label;
      if (state.event.licence === lic.id) opt.selected = true;
      select.appendChild(opt);
    });
  }

  function showCapture() {
    $("join").hidden = true;
    $("capture").hidden = false;
    $("outbox-section").hidden = false;
    $("nearby-section").hidden = false;
    renderNoteFields();
  }

  async function join(ev) {
    ev.preventDefault();
    $("join-error").hidden = true;
    if (!navigator.onLine) {
      $("join-error").textContent = T("phone.join.offline");
      $("join-error").hidden = false;
      return;
    }
    const form = new FormData($("join-form"));
    form.append("lang", state.lang);
    $("join-button").disabled = true;
    try {
      const res = await fetch("/api/v1/events/" + encodeURIComponent(state.slug) + "/join?lang=" + state.lang,
                              { method: "POST", body: form });
      const body = await res.json().catch(() => ({}));
      if (!res.ok) throw new Error(body.message || T("phone.error.server"));
      state.session = { slug: state.slug, token: body.token, credit: body.credit };
      await Outbox.store.setKv("session:" + state.slug, state.session);
      startSession();
    } catch (e) {
      $("join-error").textContent = e.message && e.message !== "Failed to fetch" ? e.message : T("phone.join.offline");
      $("join-error").hidden = false;
    } finally {
      $("join-button").disabled = false;
    }
  }

  function startSession() {
    Outbox.session = { slug: state.slug, token: state.session.token, lang: state.lang };
    showCapture();
    refreshSites();
    renderOutbox();
    Outbox.sendDue(true);
  }

  // ------------------------------------------------------------------------------------------
  // capture form

  function renderNoteFields() {
    const box = $("note-fields");
    box.innerHTML = "";
    ((state.event && state.event.note_fields) || []).forEach((f) => {
      const label = document.createElement("label");
      const span = document.createElement("span");
      span.textContent = state.lang === "ja" ? f.label_ja : (f.label_en || f.label_ja);
      label.appendChild(span);
      let input;
      if (f.type === "choice") {
        input = document.createElement("select");
        input.appendChild(document.createElement("option"));
        f.choices.forEach((c) => { const o = document.createElement("option"); o.value = c; o.textContent = c; input.appendChild(o); });
      } else if (f.type === "bool") {
        input = document.createElement("input");
        input.type = "checkbox";
        label.className = "check";
      } else {
        input = document.createElement("input");
        input.type = f.type === "number" ? "number" : "text";
        if (f.type === "number") input.inputMode = "decimal";
      }
      input.dataset.field = f.key;
      input.dataset.type = f.type;
      if (f.type === "bool") label.insertBefore(input, span);
      else label.appendChild(input);
      box.appendChild(label);
    });
  }

  function chosenFiles() {
    return [...$("camera-input").files, ...$("photo-input").files];
  }

  async function filesChanged() {
    const files = chosenFiles();
    state.chosenGps = await Promise.all(files.map(photoHasGps));
    state.useHere = null;
    const list = $("chosen");
    list.innerHTML = "";
    files.forEach((f, i) => {
      const li = document.createElement("li");
      li.textContent = f.name + " (" + (f.size / 1e6).toFixed(1) + " MB" +
        (state.chosenGps[i] ? ", " + T("phone.capture.has_gps") : "") + ")";
      list.appendChild(li);
    });
    renderWhere();
  }

  function selectedSite() {
    const id = $("site-select").value;
    return state.sites.find((s) => s.id === id) || null;
  }

  /* "ここで撮りましたか？" for photos without GPS, with the distance to the chosen site. */
  function renderWhere() {
    const files = chosenFiles();
    const needs = files.length > 0 && state.chosenGps.some((g) => !g) && state.position;
    $("where").hidden = !needs;
    if (!needs) return;
    const site = selectedSite();
    let detail = T("phone.where.accuracy", { m: Math.round(state.position.accuracy || 0) });
    if (site) {
      detail += " " + T("phone.where.site_distance", { site: site.name,
        distance: metres(distanceM(state.position.lat, state.position.lon, site.lat, site.lon)) });
    }
    $("where-detail").textContent = detail;
    $("where-yes").setAttribute("aria-pressed", state.useHere === true ? "true" : "false");
    $("where-no").setAttribute("aria-pressed", state.useHere === false ? "true" : "false");
  }

  function renderSiteDistance() {
    const site = selectedSite();
    const el = $("site-distance");
    if (!site || !state.position) { el.hidden = true; return; }
    el.hidden = false;
    el.textContent = T("phone.capture.site_distance", { distance: metres(distanceM(state.position.lat,
      state.position.lon, site.lat, site.lon)) });
  }

  async function saveCapture(ev) {
    ev.preventDefault();
    const files = chosenFiles();
    const note = $("note").value;
    const fields = {};
    $("note-fields").querySelectorAll("[data-field]").forEach((el) => {
      const value = el.dataset.type === "bool" ? (el.checked ? "1" : "") : el.value;
      if (value !== "") fields[el.dataset.field] = value;
    });
    const error = $("capture-error");
    error.hidden = true;
    if (!files.length && !note.trim() && !Object.keys(fields).length) {
      error.textContent = T("phone.capture.empty");
      error.hidden = false;
      return;
    }
    const max = (state.event && state.event.max_photos) || 10;
    if (files.length > max) {
      error.textContent = T("phone.capture.too_many", { max });
      error.hidden = false;
      return;
    }
    if (!$("where").hidden && state.useHere === null) {
      error.textContent = T("phone.where.answer_first");
      error.hidden = false;
      $("where").scrollIntoView({ block: "center" });
      return;
    }
    // The phone's position goes with the capture only when every photo has its own GPS (the
    // server prefers that anyway) or the participant said it was taken here.
    const usePosition = state.position && (state.useHere === true || (files.length && state.chosenGps.every(Boolean)) ||
                                           (!files.length));
    const capture = {
      client_id: Outbox.newClientId(),
      slug: state.slug,
      created: Date.now(),
      taken_at: new Date().toISOString(),
      note,
      fields,
      site_id: $("site-select").value || null,
      lat: usePosition ? state.position.lat : null,
      lon: usePosition ? state.position.lon : null,
      accuracy_m: usePosition ? state.position.accuracy : null,
      photos: files.map((f) => ({ name: f.name, type: f.type, size: f.size, blob: f, state: "waiting", reason: "" })),
    };
    try {
      await Outbox.add(capture);
    } catch (e) {
      error.textContent = T("phone.capture.storage_full");
      error.hidden = false;
      return;
    }
    $("capture-form").reset();
    $("chosen").innerHTML = "";
    state.chosenGps = [];
    state.useHere = null;
    renderWhere();
    renderSiteDistance();
  }

  // ------------------------------------------------------------------------------------------
  // outbox list

  let renderQueued = false;
  function renderOutbox() {
    if (renderQueued) return;
    renderQueued = true;
    requestAnimationFrame(async () => {
      renderQueued = false;
      const list = await Outbox.list(state.slug);
      const ul = $("outbox");
      ul.innerHTML = "";
      const counts = { waiting: 0, sending: 0, saved: 0, refused: 0 };
      list.forEach((c) => {
        counts[c.state] = (counts[c.state] || 0) + 1;
        ul.appendChild(captureItem(c));
      });
      $("outbox-summary").textContent = T("phone.outbox.summary", counts);
      $("send-now").hidden = !(counts.waiting > 0);
    });
  }

  function captureItem(c) {
    const li = document.createElement("li");
    li.className = "capture";
    li.dataset.clientId = c.client_id;
    li.dataset.state = c.state;
    const head = document.createElement("div");
    const st = document.createElement("span");
    st.className = "state";
    st.textContent = T("phone.state." + c.state);
    head.appendChild(st);
    const when = document.createElement("span");
    when.className = "hint";
    when.textContent = " " + new Date(c.created).toLocaleString(state.lang === "ja" ? "ja-JP" : "en-GB");
    head.appendChild(when);
    li.appendChild(head);
    if (c.state === "saved" && c.result) {
      const p = document.createElement("div");
      p.className = "hint";
      p.textContent = c.result.site_name ? T("phone.outbox.at_site", { site: c.result.site_name }) : T("phone.outbox.no_site");
      li.appendChild(p);
    }
    if (c.state === "waiting" && c.error) {
      const p = document.createElement("div");
      p.className = "hint";
      p.textContent = c.error;
      li.appendChild(p);
    }
    if (c.note) {
      const p = document.createElement("div");
      p.className = "note";
      p.textContent = c.note.length > 80 ? c.note.slice(0, 80) + "…" : c.note;
      li.appendChild(p);
    }
    const live = Outbox.progress.get(c.client_id);
    const sent = c.photos.filter((p) => p.blob || c.state === "saved" || c.state === "refused");
    c.photos.forEach((p, i) => {
      const row = document.createElement("div");
      row.className = "file";
      row.dataset.name = p.name;
      row.dataset.state = p.state;
      const name = document.createElement("span");
      name.textContent = p.name + " · " + T("phone.photo." + (p.state || "waiting"));
      row.appendChild(name);
      const bar = document.createElement("progress");
      bar.max = 100;
      const fraction = live ? (live[i] || 0) : (p.state === "waiting" ? 0 : 1);
      bar.value = Math.round(fraction * 100);
      bar.dataset.percent = String(Math.round(fraction * 100));
      row.appendChild(bar);
      li.appendChild(row);
      if (p.reason) {
        const reason = document.createElement("div");
        reason.className = "reason";
        reason.textContent = p.reason;
        li.appendChild(reason);
      }
    });
    if (c.state === "refused" && c.reason && !c.photos.some((p) => p.reason)) {
      const reason = document.createElement("div");
      reason.className = "reason";
      reason.textContent = c.reason;
      li.appendChild(reason);
    }
    void sent;
    return li;
  }

  // ------------------------------------------------------------------------------------------
  // sites nearby

  async function refreshSites() {
    const key = "sites:" + state.slug;
    try {
      const res = await fetch("/api/v1/events/" + encodeURIComponent(state.slug) + "/sites",
                              { headers: { Authorization: "Bearer " + state.session.token } });
      if (res.ok) {
        const body = await res.json();
        state.sites = body.sites;
        state.team = body.team;
        await Outbox.store.setKv(key, body.sites);
        await Outbox.store.setKv("team:" + state.slug, body.team);
      }
    } catch (e) { /* offline: the list kept last time */ }
    if (!state.sites.length) state.sites = (await Outbox.store.getKv(key)) || [];
    if (state.team == null) state.team = await Outbox.store.getKv("team:" + state.slug);
    fillSiteSelect();
    renderNearby();
  }

  function sortedSites() {
    if (!state.position) return state.sites.map((s) => ({ site: s, d: null, dir: "" }));
    return state.sites.map((s) => {
      const d = distanceM(state.position.lat, state.position.lon, s.lat, s.lon);
      return { site: s, d, dir: direction(bearing(state.position.lat, state.position.lon, s.lat, s.lon)) };
    }).sort((a, b) => a.d - b.d);
  }

  function fillSiteSelect() {
    const select = $("site-select");
    const keep = select.value;
    while (select.options.length > 1) select.remove(1);
    sortedSites().slice(0, 60).forEach(({ site, d, dir }) => {
      const opt = document.createElement("option");
      opt.value = site.id;
      opt.textContent = site.name + (d == null ? "" : " (" + dir + " " + metres(d) + ")");
      select.appendChild(opt);
    });
    select.value = keep;
  }

  /* A map with OpenStreetMap tiles, only while online (offline the tiles could not load: the list
     below is the plain version). No map library: a few tiles placed around the participant. */
  let mapFailed = false;
  const MAP_ZOOM = 16;
  function worldPx(lat, lon) {
    const n = 256 * Math.pow(2, MAP_ZOOM);
    const s = Math.sin(lat * Math.PI / 180);
    return [(lon + 180) / 360 * n, (0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI)) * n];
  }

  function renderMap() {
    const box = $("map");
    if (!navigator.onLine || !state.position || mapFailed || !state.session) { box.hidden = true; return; }
    box.hidden = false;
    box.innerHTML = "";
    const width = box.clientWidth || 320, height = box.clientHeight || 260;
    const [cx, cy] = worldPx(state.position.lat, state.position.lon);
    const left = cx - width / 2, top = cy - height / 2;
    for (let tx = Math.floor(left / 256); tx <= Math.floor((left + width) / 256); tx++) {
      for (let ty = Math.floor(top / 256); ty <= Math.floor((top + height) / 256); ty++) {
        const img = document.createElement("img");
        img.className = "tile";
        img.alt = "";
        img.referrerPolicy = "strict-origin-when-cross-origin"; // the tile servers' policy asks for it
        img.style.left = (tx * 256 - left) + "px";
        img.style.top = (ty * 256 - top) + "px";
        img.onerror = () => { mapFailed = true; box.hidden = true; };
        img.src = "https://tile.openstreetmap.org/" + MAP_ZOOM + "/" + tx + "/" + ty + ".png";
        box.appendChild(img);
      }
    }
    const chosen = $("site-select").value;
    state.sites.forEach((site) => {
      const [x, y] = worldPx(site.lat, site.lon);
      if (x < left || x > left + width || y < top || y > top + height) return;
      const marker = document.createElement("button");
      marker.type = "button";
      marker.className = "marker" + (site.article === "missing" ? " missing" : "") +
        (site.has_photo || site.found ? "" : " nophoto") + (site.id === chosen ? " chosen" : "");
      marker.dataset.siteId = site.id;
      marker.title = site.name;
      marker.setAttribute("aria-label", site.name);
      marker.textContent = state.team && site.team === state.team && site.seq ? site.seq : "";
      marker.style.left = (x - left) + "px";
      marker.style.top = (y - top) + "px";
      marker.addEventListener("click", () => chooseSite(site));
      box.appendChild(marker);
    });
    const you = document.createElement("div");
    you.className = "you";
    you.style.left = (width / 2) + "px";
    you.style.top = (height / 2) + "px";
    box.appendChild(you);
    const credit = document.createElement("div");
    credit.className = "credit";
    credit.textContent = "© OpenStreetMap contributors";
    box.appendChild(credit);
  }

  function chooseSite(site) {
    $("site-select").value = site.id;
    renderSiteDistance();
    renderWhere();
    renderMap();
    $("capture").scrollIntoView({ block: "start" });
  }

  function renderNearby() {
    const list = $("nearby");
    if (!state.session) return;
    renderMap();
    list.innerHTML = "";
    $("nearby-status").textContent = state.position ? T("phone.nearby.sorted") : T("phone.nearby.no_position");
    // The team's route: its next stop is the first one nobody has sent a find from yet.
    const route = state.team ? state.sites.filter((s) => s.team === state.team && s.seq).sort((a, b) => a.seq - b.seq) : [];
    const next = route.find((s) => !s.found);
    $("next-stop").hidden = !next;
    if (next) {
      let text = T("phone.nearby.next", { team: state.team, seq: next.seq, site: next.name });
      if (state.position) {
        text += " " + direction(bearing(state.position.lat, state.position.lon, next.lat, next.lon)) + " " +
          metres(distanceM(state.position.lat, state.position.lon, next.lat, next.lon));
      }
      $("next-stop").textContent = text;
      $("next-stop").dataset.siteId = next.id;
    }
    sortedSites().slice(0, 30).forEach(({ site, d, dir }) => {
      const li = document.createElement("li");
      li.dataset.siteId = site.id;
      const button = document.createElement("button");
      button.type = "button";
      const name = document.createElement("span");
      const mine = state.team && site.team === state.team && site.seq;
      name.textContent = (mine ? site.seq + ". " : "") + site.name;
      if (next && site.id === next.id) li.dataset.next = "yes";
      const article = document.createElement("span");
      article.className = "badge" + (site.article === "missing" ? " missing" : "");
      article.textContent = T("phone.article." + site.article);
      const photo = document.createElement("span");
      const hasPhoto = site.has_photo || site.found;
      photo.className = "badge" + (hasPhoto ? "" : " nophoto");
      photo.textContent = T(hasPhoto ? "phone.photo_status.yes" : "phone.photo_status.no");
      name.append(article, photo);
      const where = document.createElement("span");
      where.textContent = d == null ? "" : dir + " " + metres(d);
      button.append(name, where);
      button.addEventListener("click", () => chooseSite(site));
      li.appendChild(button);
      list.appendChild(li);
    });
    fillSiteSelect();
  }

  // ------------------------------------------------------------------------------------------
  // start

  async function main() {
    const saved = localStorage.getItem("wikitown.lang");
    // Japanese first, as the rest of wikitown: English when asked for (?lang=en or the switch).
    state.lang = params.get("lang") || saved || "ja";
    if (!["ja", "en"].includes(state.lang)) state.lang = "ja";
    if (!state.slug) state.slug = (await Outbox.store.getKv("last-event")) || "";
    else await Outbox.store.setKv("last-event", state.slug);
    await loadTexts(state.lang);
    applyTexts();
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.register("/phone/sw.js", { scope: "/phone/" }).catch(() => {});
    }
    if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(() => {});
    if (!state.slug) { showNotice(T("phone.error.no_event")); return; }
    $("streamlit-link").href = "/participant?" + new URLSearchParams({ event: state.slug, code: params.get("code") || "", lang: state.lang });
    state.event = await loadEvent();
    if (state.event) $("event-name").textContent = state.event.name;
    await Outbox.recover();
    Outbox.onChange(() => renderOutbox());
    Outbox.onUnauthorized = async () => {
      state.session = null;
      await Outbox.store.delKv("session:" + state.slug);
      Outbox.session = null;
      showJoin();
    };
    state.session = await Outbox.store.getKv("session:" + state.slug);
    if (state.session) startSession();
    else if (state.event) showJoin();
    else showNotice(T("phone.join.offline"));
    $("outbox-section").hidden = false;
    renderOutbox();
    watchPosition();
    $("join-form").addEventListener("submit", join);
    $("capture-form").addEventListener("submit", saveCapture);
    $("camera-input").addEventListener("change", filesChanged);
    $("photo-input").addEventListener("change", filesChanged);
    $("site-select").addEventListener("change", () => { renderSiteDistance(); renderWhere(); });
    $("where-yes").addEventListener("click", () => { state.useHere = true; renderWhere(); });
    $("where-no").addEventListener("click", () => { state.useHere = false; renderWhere(); });
    $("send-now").addEventListener("click", () => Outbox.sendDue(true));
    $("lang-switch").addEventListener("click", async () => {
      state.lang = state.lang === "ja" ? "en" : "ja";
      localStorage.setItem("wikitown.lang", state.lang);
      if (Outbox.session) Outbox.session.lang = state.lang;
      await loadTexts(state.lang);
      applyTexts();
      renderNoteFields();
      renderOutbox();
      renderNearby();
    });
    window.addEventListener("online", () => { showNet(); mapFailed = false; Outbox.sendDue(true); if (state.session) refreshSites(); });
    window.addEventListener("offline", () => { showNet(); renderMap(); });
    // Periodic retry: `online` events are not reliable on every phone.
    setInterval(() => { showNet(); Outbox.sendDue(false); }, 3000);
  }

  main().catch((e) => { console.error(e); showNotice(T("phone.error.page")); });
})();
