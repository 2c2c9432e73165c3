// resignal demo: a video call with chat between tabs, and a live view of the signaling link.
// Plain script (no bundler): dist/resignal.umd.min.js and dist/resignal-e2e.umd.min.js, loaded
// just before, define `Resignal` and `ResignalE2E`.
(() => {
  'use strict';
  const { Peer, Room, negotiate } = window.Resignal;
  const { encryptRoom } = window.ResignalE2E;
  const $ = (id) => document.getElementById(id);
  const randomId = (n) => Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => 'abcdefghijkmnpqrstuvwxyz23456789'[b % 32]).join('');

  // ---- Room name from the URL (?room=abc); a fresh one is made and put there if missing.
  const params = new URLSearchParams(location.search);
  let roomName = params.get('room') ?? '';
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(roomName)) {
    roomName = `room-${randomId(6)}`;
    params.set('room', roomName);
    history.replaceState(null, '', `${location.pathname}?${params}${location.hash}`);
  }
  // ---- The room's end-to-end secret lives in the URL fragment (#key=...), which browsers never
  // send to any server; the link you share carries it. A fresh one is made if missing.
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (!/^[A-Za-z0-9_-]{22,}$/.test(fragment.get('key') ?? '')) {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    fragment.set('key', btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''));
    history.replaceState(null, '', `${location.pathname}${location.search}#${fragment}`);
  }
  const roomSecret = fragment.get('key');
  /** `?e2e=0` sends signals in clear text; `?batch=MS` sets negotiate()'s candidate batch window (the call-cost bench uses both). */
  const encrypted = params.get('e2e') !== '0';
  const candidateBatch = params.has('batch') ? Number(params.get('batch')) : undefined;
  /** `?debug` logs every room signal and PeerConnection state change to the console. */
  const debug = params.has('debug') ? (...args) => console.log(new Date().toISOString().slice(17, 23), ...args) : () => {};
  /** Tags this tab's WebSocket URL, so the demo server's "drop link" knows which socket to reset. */
  const clientId = randomId(10);
  const myName = params.get('name') || `Guest ${clientId.slice(0, 4).toUpperCase()}`;
  $('room-name').textContent = roomName;
  $('share-link').textContent = $('share-link').href = location.href;
  $('copy-link').onclick = async () => {
    await navigator.clipboard?.writeText(location.href).catch(() => {});
    $('copy-link').textContent = 'Copied';
    setTimeout(() => ($('copy-link').textContent = 'Copy link'), 1500);
  };

  // ---- "Blackhole": a WebSocket wrapper given to the Peer through its `WebSocket` option. While
  // it is on, nothing gets through in either direction but the socket stays open, like a dead
  // NAT mapping: no close event ever comes, so only the Peer's heartbeat can notice.
  let blackholeUntil = 0;
  const blackholed = () => Date.now() < blackholeUntil;
  class DemoSocket {
    constructor(url) {
      this.onopen = this.onmessage = this.onclose = this.onerror = null;
      const ws = (this.ws = new WebSocket(url));
      ws.onopen = (event) => this.onopen?.(event);
      ws.onmessage = (event) => blackholed() || this.onmessage?.(event);
      ws.onclose = (event) => blackholed() || this.onclose?.(event);
      ws.onerror = (event) => this.onerror?.(event);
    }
    get readyState() { return this.ws.readyState; }
    get bufferedAmount() { return this.ws.bufferedAmount; }
    send(data) { if (!blackholed()) this.ws.send(data); }
    close(code, reason) { this.ws.close(code, reason); }
  }

  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const peer = new Peer({
    urls: `${scheme}://${location.host}/rtc?client=${clientId}`,
    WebSocket: DemoSocket,
    // Faster than the defaults (5 s x 3) so a blackhole is noticed in 4-6 s.
    heartbeat: { interval: 2000, maxMissed: 2 },
  });

  // ---- What happened, for the timeline chart (and for the browser tests, via window.demo).
  const lanes = new Map(); // key -> { label, segments: [{ state, start, end? }] }
  const waits = []; // backoff waits: { start, end, label }
  const bands = []; // blackholes: { start, end }
  const marks = []; // { at, label }
  const rtts = []; // [time, ms]
  const events = []; // room events and app signals, in order (tests read these)
  const setLane = (key, label, state) => {
    let lane = lanes.get(key);
    if (!lane) lanes.set(key, (lane = { label, segments: [] }));
    lane.label = label;
    const last = lane.segments[lane.segments.length - 1];
    if (last && last.end === undefined) {
      if (last.state === state) return;
      last.end = Date.now();
    }
    lane.segments.push({ state, start: Date.now() });
  };
  const mark = (label) => marks.push({ at: Date.now(), label });

  peer.on('state', ({ to }) => {
    setLane('link', 'Signaling link', to);
    $('st-state').textContent = to;
    $('st-state').className = `pill ${to}`;
  });
  peer.on('reconnecting', ({ delay, attempt, reason }) => {
    const start = Date.now();
    waits.push({ start, end: start + delay, label: `${(delay / 1000).toFixed(1)} s`, title: `attempt ${attempt}, ${reason}` });
  });
  // `cause` says why in a stable word; `code` is what the socket reported (1006: no close frame).
  const closeLabels = { dead: 'dead link', manual: 'reconnectNow()', client: 'closed', kicked: 'kicked', unreachable: 'gave up' };
  peer.on('close', ({ code, cause }) => mark(closeLabels[cause] ?? `closed ${code}`));
  let opens = 0;
  peer.on('open', ({ resumed }) => {
    if (opens++ > 0) mark(resumed ? 'resumed' : 'new session');
    $('st-id').textContent = peer.id;
    showNode();
  });
  /** In a cluster (npm run demo:cluster), which node this tab's link landed on. */
  function showNode() {
    fetch(`/api/node?client=${clientId}`)
      .then((r) => r.json())
      .then(({ node }) => {
        if (node === null) return;
        $('st-node-row').hidden = false;
        $('st-node').textContent = `node ${node}`;
        if (opens > 1) mark(`on node ${node}`);
      })
      .catch(() => {});
  }
  peer.on('error', (error) => console.warn('resignal:', error.code, error.message));

  // ---- Camera and microphone. The call starts without them; tracks are added when they come.
  let localStream = null;
  async function startMedia() {
    const note = (text) => Object.assign($('media-note'), { hidden: false, textContent: text });
    if (!navigator.mediaDevices?.getUserMedia) return note('No camera access here: open the demo on http://localhost or over https.');
    for (const constraints of [{ video: { width: 640, height: 480 }, audio: true }, { video: true }, { audio: true }]) {
      try {
        localStream = await navigator.mediaDevices.getUserMedia(constraints);
        break;
      } catch (error) {
        console.warn('getUserMedia', constraints, error);
      }
    }
    if (!localStream) return note('Camera and microphone unavailable: chat only.');
    $('local').srcObject = localStream;
    // Each addTrack triggers a renegotiation, which negotiate() handles.
    for (const call of calls.values()) addTracks(call.pc);
  }
  const addTracks = (pc) => {
    const sending = new Set(pc.getSenders().map((s) => s.track));
    for (const track of localStream?.getTracks() ?? []) if (!sending.has(track)) pc.addTrack(track, localStream);
  };

  // ---- One RTCPeerConnection per other member (a small mesh).
  const calls = new Map(); // peer id -> { id, name, token, remoteToken, pc, chat, channels, negotiation, onSignal, tile }
  let room = null;
  // Each call tags its RTC signals with a token of its own (`call`). A signal with a new token
  // means the other side ended our call and started a new one: our session ran out while we
  // were away, so it saw us leave and join again, while we kept the old call. Then we start
  // over too. Tokens of ended calls are dead: their late signals (an offer queued while we
  // were offline is sent again after the rejoin) must not reach the new call.
  const deadTokens = new Set();
  function routeRtcSignal(event) {
    const token = event.data.call;
    let call = calls.get(event.from);
    if (!call || deadTokens.has(token)) return;
    call.remoteToken ??= token;
    if (token !== call.remoteToken) {
      endCall(event.from, 'it restarted the call');
      events.push({ type: 'call-restarted', peerId: event.from, at: Date.now() });
      call = startCall(event.from, room.peers.get(event.from)?.meta);
      call.remoteToken = token;
    }
    call.onSignal?.(event);
  }

  function startCall(id, meta) {
    if (calls.has(id)) return calls.get(id); // e.g. it rejoined after a server restart: same id, same call
    const name = (meta && typeof meta.name === 'string' && meta.name.slice(0, 40)) || `Peer ${id.slice(0, 4)}`;
    // ICE servers the signaling server handed this peer (none by default: two tabs on one machine
    // need no STUN/TURN); negotiate() applies fresh ones after each reconnect.
    const pc = new RTCPeerConnection({ iceServers: peer.iceServers ?? [] });
    const call = { id, name, token: randomId(8), remoteToken: undefined, pc, chat: null, channels: [], negotiation: null, onSignal: null, tile: makeTile(name) };
    calls.set(id, call);
    // Negotiated on both sides with the same id: no offer/answer race over who creates it.
    call.chat = pc.createDataChannel('chat', { negotiated: true, id: 0 });
    call.chat.onmessage = (event) => receiveChat(call, event.data);
    call.chat.onopen = call.chat.onclose = updateChatForm;
    pc.ondatachannel = (event) => call.channels.push(event.channel); // channels the other side adds later
    pc.ontrack = ({ track, streams }) => {
      // The first stream is shown; tracks added later (a second camera, say) do not replace it.
      const video = call.tile.querySelector('video');
      if (!video.srcObject) video.srcObject = streams[0] ?? new MediaStream([track]);
    };
    pc.onsignalingstatechange = () => debug('signaling', id.slice(0, 4), pc.signalingState);
    pc.onnegotiationneeded = () => debug('negotiationneeded', id.slice(0, 4));
    pc.onconnectionstatechange = () => {
      const state = pc.connectionState;
      debug('connection', id.slice(0, 4), state);
      setLane(`call:${id}`, `Call with ${name}`, state);
      call.tile.querySelector('.dot').className = `dot ${state}`;
      call.tile.querySelector('.state').textContent = state;
      // Gone for good: failed, and no longer in the room once we are in it.
      if (state === 'failed' && peer.state === 'open' && room && !room.peers.has(id)) endCall(id, 'connection failed');
    };
    addTracks(pc);
    // negotiate() gets the room through this: its signals go out tagged, and it only hears the
    // ones routeRtcSignal() accepted for this call.
    const callRoom = {
      signal: (to, data) => room.signal(to, { ...data, call: call.token }),
      on: (event, fn) => (event === 'signal' ? (call.onSignal = fn) : room.on(event, fn)),
      off: (event, fn) => (event === 'signal' ? (call.onSignal = null) : room.off(event, fn)),
    };
    call.negotiation = negotiate(pc, callRoom, id, {
      localId: peer.id,
      link: peer, // restart ICE after a reconnect if it broke meanwhile
      onError: (error) => console.warn('negotiation with', id, error),
      ...(candidateBatch !== undefined && { candidateBatch }),
    });
    setLane(`call:${id}`, `Call with ${name}`, pc.connectionState);
    systemMessage(`${name} joined`);
    layoutTiles();
    return call;
  }

  function endCall(id, why) {
    const call = calls.get(id);
    if (!call) return;
    calls.delete(id);
    if (call.remoteToken !== undefined) deadTokens.add(call.remoteToken);
    call.negotiation.close();
    call.pc.close();
    call.tile.remove();
    setLane(`call:${id}`, `Call with ${call.name}`, 'closed');
    systemMessage(`${call.name} left (${why})`);
    layoutTiles();
    updateChatForm();
  }

  function makeTile(name) {
    const tile = document.createElement('div');
    tile.className = 'tile';
    tile.innerHTML = '<video autoplay playsinline></video><div class="label"><span class="dot new"></span><span class="name"></span><span class="state muted">new</span></div>';
    tile.querySelector('.name').textContent = name;
    $('remotes').append(tile);
    return tile;
  }
  function layoutTiles() {
    $('remotes').className = `remotes n${Math.min(calls.size, 4)}`;
    $('waiting').hidden = calls.size > 0;
    $('waiting').style.display = calls.size > 0 ? 'none' : '';
  }

  // ---- Chat over the data channels.
  function updateChatForm() {
    const open = [...calls.values()].some((call) => call.chat.readyState === 'open');
    $('chat-input').disabled = $('chat-send').disabled = !open;
    $('chat-input').placeholder = open ? 'Say something…' : 'Chat opens when the call connects';
  }
  const chatLog = [];
  function addMessage(kind, who, text) {
    const li = document.createElement('li');
    li.className = kind;
    if (who) li.append(Object.assign(document.createElement('span'), { className: 'who', textContent: who }));
    li.append(document.createTextNode(text));
    const list = $('messages');
    list.append(li);
    list.scrollTop = list.scrollHeight;
  }
  const systemMessage = (text) => addMessage('system', '', text);
  function receiveChat(call, raw) {
    let message;
    try {
      message = JSON.parse(raw);
    } catch {
      return;
    }
    if (typeof message?.text !== 'string') return;
    chatLog.push({ from: call.id, text: message.text });
    addMessage('theirs', call.name, message.text);
  }
  function sendChat(text) {
    const payload = JSON.stringify({ text });
    let sent = 0;
    for (const call of calls.values()) {
      if (call.chat.readyState !== 'open') continue;
      call.chat.send(payload);
      sent++;
    }
    if (sent > 0) addMessage('mine', '', text);
    return sent;
  }
  $('chat-form').onsubmit = (event) => {
    event.preventDefault();
    const text = $('chat-input').value.trim();
    if (text && sendChat(text) > 0) $('chat-input').value = '';
  };

  // ---- The buttons.
  const post = (path) => fetch(path, { method: 'POST' }).then((r) => r.json());
  $('btn-drop').onclick = () => {
    mark('drop link');
    post(`/api/drop?client=${clientId}`).catch((error) => console.warn(error));
  };
  $('btn-blackhole').onclick = () => {
    const start = Date.now();
    blackholeUntil = start + 10_000;
    bands.push({ start, end: blackholeUntil });
    mark('blackhole');
    const button = $('btn-blackhole');
    button.disabled = true;
    const tick = () => {
      const left = Math.ceil((blackholeUntil - Date.now()) / 1000);
      if (left <= 0) return Object.assign(button, { disabled: false, textContent: 'Blackhole 10 s' });
      button.textContent = `Blackholed… ${left} s`;
      setTimeout(tick, 250);
    };
    tick();
  };
  $('btn-restart').onclick = async () => {
    const button = $('btn-restart');
    button.disabled = true;
    mark('server restart');
    try {
      await post(`/api/restart?client=${clientId}`);
    } catch (error) {
      console.warn(error);
    } finally {
      button.disabled = false;
    }
  };

  // ---- The live panel: numbers twice a second, the chart with them.
  function refresh() {
    const stats = peer.stats();
    $('st-rtt').textContent = stats.rtt === undefined ? '–' : `${Math.round(stats.rtt)} ms`;
    $('st-reconnects').textContent = String(stats.reconnects);
    $('st-url').textContent = peer.url ?? '–';
    if (stats.rtt !== undefined && peer.state === 'open') rtts.push([Date.now(), stats.rtt]);
    while (rtts.length > 0 && rtts[0][0] < Date.now() - 70_000) rtts.shift();
    drawTimeline();
  }

  // The chart's window: short by default, so a 2 s outage is a clear block, not a sliver.
  const SPANS = [10_000, 20_000, 60_000];
  let SPAN = 20_000;
  const zoom = $('timeline-zoom');
  const showSpan = () => zoom.querySelectorAll('button').forEach((b) => b.setAttribute('aria-pressed', String(Number(b.dataset.span) === SPAN)));
  for (const span of SPANS) {
    const button = Object.assign(document.createElement('button'), { type: 'button', className: 'small', textContent: `${span / 1000} s` });
    button.dataset.span = String(span);
    button.onclick = () => {
      SPAN = span;
      showSpan();
      drawTimeline();
    };
    zoom.append(button);
  }
  showSpan();
  /** Label widths in px, measured in the font of `.mark-label` (a guess per character lets labels overlap). */
  const measure = document.createElement('canvas').getContext('2d');
  const labelWidth = (label) => {
    measure.font = '10px system-ui, sans-serif';
    return measure.measureText(label).width;
  };
  const COLORS = {
    open: '#16a34a', connected: '#16a34a',
    connecting: '#3b82f6', new: '#93b4f5', checking: '#3b82f6', idle: '#c3c8d2',
    reconnecting: '#f59e0b', disconnected: '#f59e0b',
    failed: '#dc2626', closed: '#dc2626',
  };
  function drawTimeline() {
    const svg = $('timeline');
    const width = Math.max(svg.clientWidth, 200);
    const now = Date.now();
    const from = now - SPAN;
    const left = 4;
    const right = width - 4;
    const x = (t) => left + ((Math.max(t, from) - from) / SPAN) * (right - left);
    const parts = [];
    const esc = (s) => String(s).replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
    const rect = (x1, y, x2, h, fill, extra = '') => x2 > x1 && parts.push(`<rect x="${x1.toFixed(1)}" y="${y}" width="${(x2 - x1).toFixed(1)}" height="${h}" rx="2" fill="${fill}" ${extra}/>`);
    const text = (tx, ty, s, cls = '', anchor = 'start') => parts.push(`<text x="${tx.toFixed(1)}" y="${ty}" class="${cls}" text-anchor="${anchor}">${esc(s)}</text>`);

    // Rows: the link, its backoff waits, RTT, then one row per call.
    const rows = [['link', 'Signaling link'], ['wait', 'Backoff waits'], ['rtt', 'RTT']];
    for (const [key, lane] of lanes) if (key.startsWith('call:')) rows.push([key, lane.label]);
    const top = 38;
    const rowH = 30;
    const barY = (i) => top + i * rowH + 14;
    const height = top + rows.length * rowH + 16;
    svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
    svg.style.height = `${height}px`;

    rows.forEach(([key, label], i) => {
      const y = barY(i);
      text(left, y - 3, label, 'lane-label');
      rect(left, y, right, 10, '#f1f3f6');
      if (key === 'wait') {
        for (const w of waits) {
          if (w.end < from || w.start > now) continue;
          const x1 = x(w.start);
          const x2 = x(Math.min(w.end, now));
          rect(x1, y, x2, 10, '#fde7b0', 'stroke="#f59e0b" stroke-width="1"');
          if (x2 - x1 > 30) text((x1 + x2) / 2, y + 8.5, w.label, '', 'middle');
        }
      } else if (key === 'rtt') {
        const points = rtts.filter(([t]) => t >= from);
        const max = Math.max(20, ...points.map(([, ms]) => ms));
        if (points.length > 1) {
          const path = points.map(([t, ms]) => `${x(t).toFixed(1)},${(y + 10 - (ms / max) * 10).toFixed(1)}`).join(' ');
          parts.push(`<polyline points="${path}" fill="none" stroke="#4f46e5" stroke-width="1.5"/>`);
        }
        text(right, y - 3, points.length ? `max ${Math.round(max)} ms` : '', '', 'end');
      } else {
        for (const s of lanes.get(key)?.segments ?? []) {
          const end = s.end ?? now;
          if (end < from) continue;
          rect(x(s.start), y, x(end), 10, COLORS[s.state] ?? '#c3c8d2');
        }
      }
    });

    // Blackhole bands, over the bars (the link still reads "open" at first: that is the point).
    for (const band of bands) {
      if (band.end < from) continue;
      rect(x(band.start), top - 4, x(Math.min(band.end, now)), rows.length * rowH + 2, 'url(#hatch)', 'stroke="#1c2230" stroke-opacity=".35"');
    }

    // Event marks: a dashed line across the rows, and a label on one of three lines at the top.
    // Marks a few pixels apart share one label. The newest get their labels first; an older
    // label that would overlap one is left out (its line stays, with the text as a tooltip).
    const groups = [];
    for (const m of marks) {
      if (m.at < from) continue;
      const last = groups[groups.length - 1];
      if (last && x(m.at) - x(last.at) < 6) last.labels.push(m.label);
      else groups.push({ at: m.at, labels: [m.label] });
    }
    const taken = [[], [], []]; // per label line: [x1, x2] spans in use
    for (const g of groups.reverse()) {
      const mx = x(g.at);
      const label = g.labels.join(' · ');
      parts.push(`<line x1="${mx.toFixed(1)}" x2="${mx.toFixed(1)}" y1="${top - 6}" y2="${height - 14}" stroke="#1c2230" stroke-width="1" stroke-dasharray="2 2" opacity=".55"><title>${esc(label)}</title></line>`);
      const w = labelWidth(label) + 2;
      // Right of the line if it fits, else left of it, but never past the chart's left edge.
      const x1 = mx + 3 + w > right ? Math.max(left, mx - 3 - w) : mx + 3;
      const row = taken.findIndex((spans) => spans.every(([a, b]) => x1 + w + 6 < a || x1 > b + 6));
      if (row === -1) continue;
      taken[row].push([x1, x1 + w]);
      text(x1, 9 + row * 11, label, 'mark-label');
    }
    // Time axis: four steps across the window.
    const step = SPAN / 4000;
    for (let i = 0; i <= 4; i++) {
      const tx = x(now - i * step * 1000);
      text(tx, height - 3, i === 0 ? 'now' : `−${i * step} s`, '', i === 0 ? 'end' : i === 4 ? 'start' : 'middle');
    }
    // Blackholes: dense dark hatching, so they read at a glance on top of the green bars.
    const hatch = '<pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#1c2230" opacity=".10"/><line x1="0" y1="0" x2="0" y2="6" stroke="#1c2230" stroke-width="2.5" opacity=".45"/></pattern>';
    svg.innerHTML = `<defs>${hatch}</defs>${parts.join('')}`;
  }
  setInterval(refresh, 500);
  window.addEventListener('resize', drawTimeline);

  // ---- Start: config, media, connect, join.
  const ready = (async () => {
    setLane('link', 'Signaling link', peer.state);
    refresh();
    const config = await fetch('/api/config').then((r) => r.json()).catch(() => ({ controls: false }));
    if (!config.controls) {
      $('btn-drop').hidden = $('btn-restart').hidden = true;
    }
    void startMedia();
    await peer.connect();
    // Signals (SDP, candidates, app data) are sealed with the room secret: the server relays
    // ciphertext. Wrapped at once, before any held room event is delivered.
    const joined = await Room.join(peer, roomName, { name: myName });
    room = encrypted ? encryptRoom(joined, { secret: roomSecret, peer }) : joined;
    room.on('undecryptable', ({ from, reason, error }) => {
      events.push({ type: 'undecryptable', from, reason, at: Date.now() });
      console.warn('room:', error.message);
    });
    room.on('peer-joined', ({ peer: member }) => {
      events.push({ type: 'peer-joined', peerId: member.id, at: Date.now() });
      startCall(member.id, member.meta);
    });
    room.on('peer-left', ({ peerId, reason }) => {
      events.push({ type: 'peer-left', peerId, reason, at: Date.now() });
      // After a server restart we may rejoin before the others do: they are not gone, and their
      // calls keep running. peer-joined brings them back into the room.
      if (reason === 'rejoin') return mark('peer not back yet');
      endCall(peerId, reason);
    });
    room.on('rejoined', () => {
      events.push({ type: 'rejoined', at: Date.now() });
      mark('rejoined room');
    });
    room.on('signal', ({ from, data }) => {
      debug('signal from', from.slice(0, 4), data && (data.rtc === 'description' ? data.description.type : data.rtc));
      if (data && typeof data === 'object' && 'rtc' in data) return routeRtcSignal({ from, data }); // for negotiate()
      events.push({ type: 'signal', from, data, at: Date.now() });
    });
    room.on('error', (error) => console.warn('room:', error.code, error.message));
    // Right away, before any signal from them can arrive (the room holds its events until the
    // app had a chance to add listeners). Tracks that come later are added by renegotiating.
    for (const [id, member] of room.peers) startCall(id, member.meta);
    layoutTiles();
    updateChatForm();
  })();
  ready.catch((error) => {
    console.error(error);
    systemMessage(`Could not join: ${error.message}`);
  });

  // For the browser tests and the curious (try `demo.calls` in the console).
  window.demo = {
    peer,
    get room() { return room; },
    calls,
    events,
    chatLog,
    clientId,
    ready,
    sendChat,
    /** Inbound video frames decoded so far from that peer (getStats inbound-rtp). */
    async framesDecoded(id) {
      const call = calls.get(id);
      if (!call) return 0;
      let frames = 0;
      (await call.pc.getStats()).forEach((s) => {
        if (s.type === 'inbound-rtp' && s.kind === 'video') frames += s.framesDecoded ?? 0;
      });
      return frames;
    },
  };
})();
