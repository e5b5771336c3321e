// Waiting room -> slot picker -> confirmation, against the HTTP API v1. No build step.
const eventId = new URLSearchParams(location.search).get("event") || "demo";
const api = `/api/v1/events/${encodeURIComponent(eventId)}`;
const wsBase = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${api}`;
const $ = (id) => document.getElementById(id);
const storageKey = `ticketing:${eventId}`;
const saved = JSON.parse(sessionStorage.getItem(storageKey) || "{}");
let event = null;
let hold = null;

function save(fields) {
  Object.assign(saved, fields);
  sessionStorage.setItem(storageKey, JSON.stringify(saved));
}

function show(section) {
  for (const id of ["waiting", "picker", "holding", "confirmed"]) $(id).hidden = id !== section;
}

function say(text) { $("message").textContent = text || ""; }

async function call(method, url, { token, body, headers = {} } = {}) {
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body) headers["Content-Type"] = "application/json";
  const response = await fetch(url, { method, headers, body: body && JSON.stringify(body), credentials: "same-origin" });
  const data = response.status === 204 ? {} : await response.json();
  if (!response.ok) throw Object.assign(new Error(data.detail || response.statusText), { status: response.status, code: data.error });
  return data;
}

function formatWait(seconds) {
  if (seconds === null || seconds === undefined) return "not yet known (before the opening, or admissions paused)";
  if (seconds < 60) return `about ${seconds} s`;
  return `about ${Math.ceil(seconds / 60)} min`;
}

function reconnecting(url, onMessage) {
  const socket = new WebSocket(url);
  socket.onmessage = (message) => onMessage(JSON.parse(message.data), socket);
  socket.onclose = (closed) => { if (closed.code < 4000) setTimeout(() => reconnecting(url, onMessage), 1000); };
  return socket;
}

function showPlace(place) {
  $("position").textContent = place.position ?? "assigned at opening";
  $("eta").textContent = formatWait(place.eta_seconds);
}

async function joinQueue() {
  const joined = await call("POST", `${api}/queue`);
  save({ ticket: joined.ticket });
  return joined;
}

async function waitInQueue() {
  if (!saved.ticket) showPlace(await joinQueue());
  show("waiting");
  reconnecting(`${wsBase}/queue/ws?ticket=${encodeURIComponent(saved.ticket)}`, async (place, socket) => {
    if (place.error) {
      if (place.error === "not_in_queue" || place.error === "token_expired") { save({ ticket: null }); location.reload(); }
      return say(place.detail);
    }
    if (place.ticket) save({ ticket: place.ticket });  // reclaimed after a Redis loss
    if (place.lapsed) { say("Your turn passed while you were away: joining again."); save({ ticket: null }); return location.reload(); }
    showPlace(place);
    if (place.admitted) {
      socket.onclose = null;
      socket.close();
      save({ accessToken: place.access_token });
      openPicker();
    }
  });
}

function renderSlots(remaining) {
  const quantity = Number($("quantity").value || 1);
  const list = $("slots");
  list.replaceChildren(...event.slots.map((slot) => {
    const left = remaining[slot.id] ?? slot.remaining;
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.slot = slot.id;
    button.disabled = left < quantity;
    button.innerHTML = `<span>${slot.label}</span><span class="remaining">${left === 0 ? "sold out" : `${left} left`}</span>`;
    button.onclick = () => holdSeats(slot, quantity);
    const item = document.createElement("li");
    item.append(button);
    return item;
  }));
}

async function openPicker() {
  say("");
  show("picker");
  const select = $("quantity");
  select.replaceChildren(...Array.from({ length: event.max_per_client }, (_, index) => new Option(index + 1, index + 1)));
  let remaining = Object.fromEntries(event.slots.map((slot) => [slot.id, slot.remaining]));
  select.onchange = () => renderSlots(remaining);
  renderSlots(remaining);
  reconnecting(`${wsBase}/availability/ws`, (update) => {
    if (update.slots) { remaining = update.slots; renderSlots(remaining); }
  });
}

async function holdSeats(slot, quantity) {
  try {
    hold = await call("POST", `${api}/holds`, { token: saved.accessToken, body: { slot_id: slot.id, quantity } });
  } catch (error) {
    if (error.status === 401) { say("Your access expired: joining the queue again."); save({ ticket: null, accessToken: null }); return setTimeout(() => location.reload(), 1500); }
    return say(error.message);
  }
  $("hold-summary").textContent = `${quantity} seat(s) at ${slot.label}`;
  $("hold-expiry").textContent = new Date(hold.expires_at).toLocaleTimeString();
  hold.idempotencyKey = crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2);
  say("");
  show("holding");
}

async function confirmHold() {
  $("confirm").disabled = true;
  try {
    const booking = await call("POST", `/api/v1/holds/${hold.hold_id}/confirm`,
      { token: saved.accessToken, headers: { "Idempotency-Key": hold.idempotencyKey } });
    $("booking-id").textContent = booking.booking_id;
    $("booking-summary").textContent = `${booking.quantity} seat(s), slot ${event.slots.find((s) => s.id === booking.slot_id).label}`;
    show("confirmed");
  } catch (error) {
    say(error.message);
    if (error.status === 410) show("picker");
  } finally {
    $("confirm").disabled = false;
  }
}

async function releaseHold() {
  await call("DELETE", `/api/v1/holds/${hold.hold_id}`, { token: saved.accessToken }).catch(() => {});
  hold = null;
  show("picker");
}

async function start() {
  $("confirm").onclick = confirmHold;
  $("release").onclick = releaseHold;
  try {
    event = await call("GET", api);
  } catch (error) {
    return say(error.message);
  }
  $("event-name").textContent = event.name;
  document.title = event.name;
  try {
    await waitInQueue();
  } catch (error) {
    say(error.message);
  }
}

start();
