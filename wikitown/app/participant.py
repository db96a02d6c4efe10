"""The participant's phone page: consent once, then photos and notes, and "my finds".

Thin: every decision is in wikitown.finds.capture. Anything a participant typed is shown
with ``st.text`` (never Markdown or HTML).
"""

from __future__ import annotations

import secrets

import streamlit as st

from wikitown.app import drafts

from wikitown.app import report

from wikitown.app.common import Context, md_escape  # noqa: F401 - md_escape: wikitown.app.finds imports it from here
from wikitown.finds import access
from wikitown.core.errors import TooManyAttempts, WikitownError
from wikitown.core import licences
from wikitown.core.licences import LICENCES
from wikitown.finds.capture import (edit_find, get_participant, join_event, my_finds, nearest_sites,
                            submit_find, suggest_site)
from wikitown.core.geo import valid_coord
from wikitown.report import participant_outcomes
from wikitown.finds.photos import read_photo



def error_text(exc: WikitownError, lang: str) -> str:
    """An error's message with the user's own text escaped (alerts render Markdown)."""
    from wikitown.core.i18n import t

    text = t(exc.key, lang, **{k: md_escape(v) for k, v in exc.params.items()})
    return text if text != exc.key else md_escape(str(exc))


def file_text(result, lang: str) -> str:
    from wikitown.core.i18n import t

    return t(result.key, lang, name=md_escape(result.name), **{k: md_escape(v) for k, v in result.params.items()})


PID_KEY = "participant_id"
# Where the browser's position is kept: {"lat", "lon", "accuracy"}. The page fills it from
# streamlit_js_eval's get_geolocation(); AppTest runs no JavaScript, so tests set it directly.
GEO_KEY = "participant_geo"
GEO_COMPONENT_KEY = "participant_geo_js"
LICENCE_ORDER = list(LICENCES)
AUTO = "__auto__"


def auto_join(event) -> None:
    """The QR code on the sheet carries ``?event=<slug>&code=<code>``: a right code joins
    at once, so nobody has to type it."""
    from wikitown.app.common import _client_id, role_for, set_role

    code = st.query_params.get("code")
    if not code or role_for(event):
        return
    try:
        ok = access.check_event_code(event.dir, event.config.code, code, _client_id())
    except TooManyAttempts:
        return  # the join form shows the wait
    if ok:
        set_role(event, "participant")


def _participant(ctx: Context) -> dict | None:
    pid = st.session_state.get(PID_KEY) or st.query_params.get("p")
    if not pid:
        return None
    person = get_participant(ctx.event, pid)
    if person is not None:
        st.session_state[PID_KEY] = pid
    return person


def consent_form(ctx: Context, person: dict | None = None) -> None:
    t = ctx.t
    st.subheader(t("participant.consent.title"))
    st.write(t("participant.consent.intro"))
    default = (person or {}).get("licence") or ctx.event.config.licence
    with st.form("participant_consent"):
        name = st.text_input(t("participant.consent.name"), value=(person or {}).get("display_name", ""),
                             max_chars=100, help=t("participant.consent.name_help"))
        wiki = st.text_input(t("participant.consent.wiki_user"), value=(person or {}).get("wiki_user", ""),
                             max_chars=85, help=t("participant.consent.wiki_user_help"))
        licence = st.radio(t("participant.consent.licence"), LICENCE_ORDER,
                           index=LICENCE_ORDER.index(default) if default in LICENCE_ORDER else 0,
                           format_func=lambda k: t(f"participant.licence.{k}"), key="participant_licence")
        team = st.number_input(t("participant.consent.team"), min_value=1, max_value=99, step=1,
                               value=(person or {}).get("team"), help=t("participant.consent.team_help"))
        agree = st.checkbox(t("participant.consent.agree"), key="participant_agree")
        submitted = st.form_submit_button(t("participant.consent.button"), type="primary")
    if submitted:
        if not agree:
            st.error(t("participant.consent.must_agree"))
            return
        try:
            pid = join_event(ctx.event, name, licence, wiki_user=wiki, lang=ctx.lang,
                             team=int(team) if team else None, participant_id=(person or {}).get("id"))
        except WikitownError as exc:
            st.error(error_text(exc, ctx.lang))
            return
        st.session_state[PID_KEY] = pid
        st.session_state.pop("participant_edit_profile", None)
        st.query_params["p"] = pid  # a reload on the phone keeps "my finds"
        st.rerun()


def _browser_position(n: int) -> tuple[float, float, float | None] | None:
    """The phone's position for upload round ``n``: each new find asks the browser again
    (people walk between sites). A value set by hand in GEO_KEY without a round (tests)
    is used as it is."""
    geo = st.session_state.get(GEO_KEY)
    stale = isinstance(geo, dict) and "round" in geo and geo["round"] != (n, st.session_state.get("geo_refresh", 0))
    if not geo or stale:
        geo = None
        try:
            from streamlit_js_eval import get_geolocation

            raw = get_geolocation(component_key=f"{GEO_COMPONENT_KEY}_{n}_{st.session_state.get('geo_refresh', 0)}")
        except Exception:  # noqa: BLE001 - no component (tests, old browsers): fall back to picking a site
            raw = None
        if isinstance(raw, dict) and isinstance(raw.get("coords"), dict):
            c = raw["coords"]
            geo = {"lat": c.get("latitude"), "lon": c.get("longitude"), "accuracy": c.get("accuracy"),
                   "round": (n, st.session_state.get("geo_refresh", 0))}
            st.session_state[GEO_KEY] = geo
    if isinstance(geo, dict) and valid_coord(geo.get("lat"), geo.get("lon")):
        return float(geo["lat"]), float(geo["lon"]), geo.get("accuracy")
    return None


def _uploads() -> list[tuple[str, bytes]]:
    files = []
    lost = False
    n = st.session_state.get("participant_upload_round", 0)
    # A file chosen before the server restarted comes back as Streamlit's DeletedFile (no name, no
    # bytes): say so and let the participant choose it again, instead of a traceback.
    for f in st.session_state.get(f"participant_files_{n}") or []:
        if hasattr(f, "getvalue"):
            files.append((f.name, f.getvalue()))
        else:
            lost = True
    shot = st.session_state.get(f"participant_camera_{n}")
    if shot is not None:
        if hasattr(shot, "getvalue"):
            files.append((getattr(shot, "name", "") or "camera.jpg", shot.getvalue()))
        else:
            lost = True
    if lost:
        from wikitown.app.common import current_lang
        from wikitown.core.i18n import t

        st.warning(t("phone.streamlit.files_lost", current_lang()))
    return files


def _site_names(ctx: Context) -> dict:
    from wikitown.store.sites import site_points

    with ctx.event.store.read() as conn:
        return site_points(conn)


def capture(ctx: Context, person: dict) -> None:
    t = ctx.t
    n = st.session_state.get("participant_upload_round", 0)
    st.file_uploader(t("participant.capture.photos"), accept_multiple_files=True, key=f"participant_files_{n}",
                     help=t("participant.capture.photos_help"))
    if st.toggle(t("participant.capture.use_camera"), key="participant_camera_on"):
        st.camera_input(t("participant.capture.camera"), key=f"participant_camera_{n}")
    files = _uploads()

    # Location: the photo's own GPS, else the browser's position, else the site picked below.
    exif = None
    for name, data in files:
        info = read_photo(data, name=name)
        if info.has_gps:
            exif = (info.lat, info.lon)
            break
    browser = _browser_position(n)
    if exif:
        lat, lon, acc, source = exif[0], exif[1], None, "exif"
    elif browser:
        lat, lon, acc, source = browser[0], browser[1], browser[2], "browser"
    else:
        lat = lon = acc = None
        source = "none"
    match = suggest_site(ctx.event, lat, lon, acc)
    names = _site_names(ctx)
    if source == "none":
        st.info(t("participant.location.none"))
    else:
        st.caption(t(f"participant.location.{source}", accuracy=f"{acc:.0f}" if acc is not None else "?"))
    if source != "exif" and st.button(t("participant.location.refresh"), key=f"participant_geo_refresh_{n}"):
        st.session_state["geo_refresh"] = st.session_state.get("geo_refresh", 0) + 1
        st.rerun()
    if match.site_id:
        st.success(t("participant.site.suggested", distance=f"{match.distance_m:.0f}"))
        st.text(names[match.site_id][0])
    elif source != "none":
        st.warning(t(f"participant.site.no_match.{match.reason or 'far'}"))
    # Nearest first when the position is known, so the right site is at the top.
    located = [{"id": k, "name": v[0], "lat": v[1], "lon": v[2]} for k, v in names.items()
               if valid_coord(v[1], v[2])]
    if lat is not None:
        order = [s["id"] for _, s in nearest_sites(located, lat, lon, limit=len(located))]
        order += sorted((k for k in names if k not in set(order)), key=lambda k: names[k][0])
    else:
        order = sorted(names, key=lambda k: names[k][0])
    auto_label = (t("participant.site.auto_match", site=names[match.site_id][0]) if match.site_id
                  else t("participant.site.auto_queue"))
    choice = st.selectbox(t("participant.site.label"), [AUTO] + order, key=f"participant_site_{n}",
                          format_func=lambda k: auto_label if k == AUTO else names[k][0])
    note = st.text_area(t("participant.capture.note"), key=f"participant_note_{n}", max_chars=5000)
    fields = _note_fields(ctx, f"participant_field_{n}_")
    key = st.session_state.setdefault("participant_client_key", secrets.token_urlsafe(16))
    if st.button(t("participant.capture.send"), type="primary", key=f"participant_send_{n}"):
        if not files and not note.strip() and not fields:
            st.warning(t("participant.capture.empty"))
            return
        with st.spinner(t("participant.capture.sending")):
            try:
                result = submit_find(ctx.event, person["id"], files, note=note, fields=fields,
                                     browser_location=browser, site_id=None if choice == AUTO else choice,
                                     client_key=key)
            except WikitownError as exc:
                st.error(error_text(exc, ctx.lang))
                return
        st.session_state["participant_last_result"] = result
        if result.find_id:
            # A new form for the next find; the old key stays with the stored find.
            st.session_state["participant_client_key"] = secrets.token_urlsafe(16)
        # Even when nothing was stored (every file already sent or refused) the form is cleared:
        # the results are shown above, and those files must not go again with the next photo.
        st.session_state["participant_upload_round"] = n + 1
        st.rerun()


def _note_fields(ctx: Context, prefix: str) -> dict:
    values = {}
    for f in ctx.event.config.note_fields:
        label = f.label(ctx.lang)
        if f.type == "bool":
            values[f.key] = st.checkbox(label, key=prefix + f.key)
        elif f.type == "choice":
            picked = st.selectbox(label, [""] + list(f.choices), key=prefix + f.key)
            if picked:
                values[f.key] = picked
        elif f.type == "number":
            number = st.number_input(label, value=None, key=prefix + f.key)
            if number is not None:
                values[f.key] = number
        else:
            text = st.text_input(label, key=prefix + f.key, max_chars=500)
            if text:
                values[f.key] = text
    # An unticked box says nothing; only what was ticked or filled in is stored.
    return {k: v for k, v in values.items() if v not in (False, None, "")}


def last_result(ctx: Context) -> None:
    # Kept (not popped): the geolocation component's own rerun must not wipe the messages.
    result = st.session_state.get("participant_last_result")
    if result is None:
        return
    if result.find_id:
        st.success(ctx.t("participant.result.saved"))
    for f in result.files:
        show = {"accepted": st.success, "duplicate": st.info, "rejected": st.error}[f.status]
        show(file_text(f, ctx.lang))


def finds_list(ctx: Context, person: dict) -> None:
    t = ctx.t
    rows = my_finds(ctx.event, person["id"])
    if not rows:
        st.info(t("participant.mine.none"))
        return
    names = _site_names(ctx)
    outcomes = {o.find_id: o for o in participant_outcomes(ctx.event.store, person["id"])}
    st.caption(t("participant.mine.count", count=len(rows)))
    for row in rows:
        with st.container(border=True):
            thumbs = [ctx.event.path(m["thumb_path"]) for m in row["media"] if m.get("thumb_path")]
            if thumbs:
                st.image([str(p) for p in thumbs], width=140)
            site = names.get(row["site_id"], ("",))[0] if row["site_id"] else t("participant.mine.no_site")
            st.text(site)
            st.caption(t("participant.mine.status", status=t(f"finds.status.{row['match_status']}"),
                         source=t(f"finds.source.{row['location_source'] or 'none'}")))
            if row["note"]:
                st.text(row["note"])
            for f in ctx.event.config.note_fields:
                if f.key in row["fields"]:
                    value = row["fields"][f.key]
                    if isinstance(value, bool):
                        value = t("participant.yes") if value else t("participant.no")
                    st.text(f"{f.label(ctx.lang)}: {value}")
            if row["id"] in outcomes:
                report.outcome_lines(ctx, outcomes[row["id"]])
            if row["reviewed_at"]:
                st.caption(t("participant.mine.reviewed"))
            else:
                _edit(ctx, person, row, names)


def _edit(ctx: Context, person: dict, row: dict, names: dict) -> None:
    t = ctx.t
    with st.expander(t("participant.mine.edit")):
        note = st.text_area(t("participant.capture.note"), value=row["note"] or "", key=f"edit_note_{row['id']}",
                            max_chars=5000)
        options = sorted(names, key=lambda k: names[k][0])
        current = row["site_id"] if row["site_id"] in names else None
        site = st.selectbox(t("participant.site.label"), [""] + options,
                            index=(options.index(current) + 1) if current else 0,
                            format_func=lambda k: names[k][0] if k else t("participant.mine.no_site"),
                            key=f"edit_site_{row['id']}")
        if st.button(t("participant.mine.save"), key=f"edit_save_{row['id']}"):
            try:
                edit_find(ctx.event, row["id"], person["id"], note=note, site_id=site or None)
            except WikitownError as exc:
                st.error(error_text(exc, ctx.lang))
                return
            st.session_state["participant_saved"] = True
            st.rerun()


def render(ctx: Context) -> None:
    t = ctx.t
    person = _participant(ctx)
    if person is None or st.session_state.get("participant_edit_profile"):
        consent_form(ctx, person)
        return
    st.caption(t("participant.consent.as", name=md_escape(person["display_name"]),
                 licence=licences.label(person["licence"])))
    if st.button(t("participant.consent.change"), key="participant_change_profile"):
        st.session_state["participant_edit_profile"] = True
        st.rerun()
    if st.session_state.pop("participant_saved", False):
        st.success(t("participant.mine.saved"))
    last_result(ctx)
    send, mine, write = st.tabs([t("participant.tab.send"), t("participant.tab.mine"), t("participant.tab.write")])
    with send:
        capture(ctx, person)
    with mine:
        finds_list(ctx, person)
    with write:
        # In the afternoon participants become writers: the same editor as the librarians',
        # whose review rules keep approval for librarians and organizers.
        st.session_state.setdefault("draft_author", person["display_name"])
        drafts.render(ctx)



