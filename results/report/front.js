// front.js ranks the run's transports for the workload in the report's
// what-if form, offline, from the models embedded in the page as JSON
// (results/advise's Set). It is a port of advise.Rank (results/advise:
// rank.go, sizing.go, fit.go): the same candidates, rules, sizing and
// order, so that for the run's own workload it ranks as Go did; the texts
// of its reasons are shorter. Prices are not in a report, so rows are
// ordered by servers, then memory, never by cost.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("front-data").textContent);
  if (!data) return;
  var models = data.set.models || [];
  var browserLimit = data.set.browser_limit || [];
  var NM = "not measured";

  // --- fits (fit.go) ---
  var T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042];
  function mean(v) { var s = 0; for (var i = 0; i < v.length; i++) s += v[i]; return s / v.length; }
  // The 95% Student t interval of v's mean.
  function tInterval(v) {
    var m = mean(v), ss = 0;
    for (var i = 0; i < v.length; i++) ss += (v[i] - m) * (v[i] - m);
    var n = v.length, df = n - 1;
    var t = df >= 1 && df <= T975.length ? T975[df - 1] : 1.96;
    var half = t * Math.sqrt(ss / (n - 1)) / Math.sqrt(n);
    return { lo: m - half, hi: m + half };
  }
  // One repetition's fit at x: a line, or a piecewise fit's segments.
  function at(r, x) {
    var xs = r.xs || [], ys = r.ys || [], n = xs.length;
    if (n === 0) return r.intercept + r.slope * x;
    if (x <= xs[0] || n === 1) return ys[0];
    if (x >= xs[n - 1]) return ys[n - 1] + r.slope * (x - xs[n - 1]);
    var i = 0;
    while (xs[i] < x) i++; // xs[i-1] < x <= xs[i]
    var t = (x - xs[i - 1]) / (xs[i] - xs[i - 1]);
    return ys[i - 1] + t * (ys[i] - ys[i - 1]);
  }
  function predict(f, x) {
    var v = f.rep_fits.map(function (r) { return at(r, x); });
    var p = { x: x, value: mean(v), ci: null, beyond: 0 };
    if (v.length > 1) p.ci = tInterval(v);
    if (f.x_max > 0 && x > f.x_max) p.beyond = x / f.x_max;
    return p;
  }
  function upper(p) { return p.ci ? p.ci.hi : p.value; }
  // The largest x in [0, hi] at which the upper end stays within limit.
  function solveUpper(f, limit, hi) {
    if (upper(predict(f, 0)) > limit) return 0;
    if (upper(predict(f, hi)) <= limit) return hi;
    var lo = 0;
    for (var i = 0; i < 100 && hi - lo > 1e-6 * hi; i++) {
      var mid = (lo + hi) / 2;
      if (upper(predict(f, mid)) <= limit) lo = mid; else hi = mid;
    }
    return lo;
  }

  // --- formatting ---
  function num(x) { return x === Math.trunc(x) ? x.toFixed(0) : String(Number(x.toPrecision(3))); }
  function usText(us) {
    var a = Math.abs(us);
    if (a >= 1e6) return (us / 1e6).toFixed(2) + "s";
    if (a >= 1e3) return (us / 1e3).toFixed(1) + "ms";
    return us.toFixed(0) + "µs";
  }
  function gibText(v) {
    var a = Math.abs(v);
    return v.toFixed(a >= 10 ? 1 : a >= 1 ? 2 : a >= 0.1 ? 3 : 4);
  }
  function predText(p, f) { return f(p.value) + (p.ci ? " [" + f(p.ci.lo) + ", " + f(p.ci.hi) + "]" : ""); }
  function keyString(m) {
    var s = m.transport;
    if (m.implementation !== "pushbench") s += " (" + m.implementation + ")";
    if (m.network !== "loopback" && m.network) s += " via " + m.network;
    return s;
  }

  // --- the workload (workload.go) ---
  function connections(w) { return w.clients * Math.max(1, w.tabs); }
  function fanoutConns(w) {
    var f = w.fanout;
    if (f === 0 || f > w.clients) f = w.clients;
    return f * Math.max(1, w.tabs);
  }
  function delivered(w) { return (w.rate + w.client_msgs * w.clients) * fanoutConns(w); }
  function network(w) { return w.proxy ? w.proxy + (w.proxy_tuned ? "-tuned" : "-stock") : "loopback"; }
  function check(w, floor) {
    var bad = [];
    if (!(w.clients >= 1) || w.clients !== Math.trunc(w.clients)) bad.push("clients: want a whole number, at least 1");
    if (!(w.rate >= 0) || !isFinite(w.rate)) bad.push("rate: a negative or infinite rate means nothing");
    else if (w.rate === 0 && w.client_msgs === 0) bad.push("rate 0 and no client messages: nothing is pushed");
    if (!(w.payload >= 0)) bad.push("payload: want 0 bytes or more");
    if (!(w.tabs >= 0)) bad.push("tabs: want 0 (not browsers) or more");
    if (!(w.slo_us > 0)) bad.push("SLO p99: want a positive duration");
    else if (floor > 0 && Math.trunc(w.slo_us) < floor) bad.push("SLO p99 " + usText(w.slo_us) + " is below the raw-TCP floor's lowest measured p99 (" + usText(floor) + "): no transport can meet it on the machine measured");
    if (w.proxy_tuned && !w.proxy) bad.push("proxy tuned without a proxy");
    return bad.join("; ");
  }
  function floorOf() {
    var best = 0, file = "";
    models.forEach(function (m) {
      if (!m.facts.floor || m.network !== "loopback" || !m.p99_min_us) return;
      if (best === 0 || m.p99_min_us < best) { best = m.p99_min_us; file = m.p99_min_file; }
    });
    return [best, file];
  }
  function find(transport, impl, net) {
    return models.filter(function (m) {
      return (!transport || m.transport === transport) && (!impl || m.implementation === impl) &&
        (!net || m.network.toLowerCase() === net.toLowerCase());
    });
  }

  // --- candidates (rank.go): per family and implementation, the TLS or
  // plain models on the workload's network, else loopback's ---
  function candidates(w) {
    var net = network(w), groups = [], by = {};
    models.forEach(function (m) {
      var g = m.family + "\u0000" + m.implementation;
      if (!by[g]) { by[g] = []; groups.push(g); }
      by[g].push(m);
    });
    var out = [];
    groups.forEach(function (g) {
      var tls = [], plain = [];
      by[g].forEach(function (m) { (m.variant === "tls" || m.variant === "h2" ? tls : plain).push(m); });
      var pick = plain, why = [];
      if (w.tls && !w.proxy) {
        if (tls.length) pick = tls;
        else why.push("TLS not measured for " + by[g][0].family + ": figures are plaintext");
      }
      var names = {}, order = [];
      pick.forEach(function (m) {
        if (!names[m.transport]) { names[m.transport] = []; order.push(m.transport); }
        names[m.transport].push(m);
      });
      order.forEach(function (n) {
        var on = null, loop = null;
        names[n].forEach(function (m) {
          if (m.network === net) on = m; else if (m.network === "loopback") loop = m;
        });
        var c = { m: on || loop, unknown: why.slice() };
        if (!c.m) return;
        if (!on) c.unknown.push("not measured through " + net + ": figures are the direct path's");
        out.push(c);
      });
    });
    return out;
  }

  // --- sizing (sizing.go) ---
  function size(w, c) {
    var m = c.m, files = {}, sloUs = Math.trunc(w.slo_us), net = network(w);
    var row = { key: keyString(m), feasible: "yes", why: [], decided: [], notes: [], servers: 0, cores: 0, rss: null, p99: null };
    function cite(fs) { (fs || []).forEach(function (f) { if (f) files[f] = true; }); }
    function no(s) { row.feasible = "no"; row.why.push(s); }
    function unknown(s) { row.why.push(s); if (row.feasible === "yes") row.feasible = "unknown"; }
    c.unknown.forEach(unknown);
    var raw = m.facts.floor || m.family === "rawtcp";
    // Browsers: no raw TCP; HTTP/1.1 streams are held to six connections.
    var held = !m.facts.upgrades && m.variant !== "h2" && m.variant !== "h2c" && !raw;
    if (w.tabs > 0) {
      if (raw) no("browsers cannot open raw TCP connections");
      else if (held && w.tabs < 6) row.decided.push("browser: " + w.tabs + " of its 6 HTTP/1.1 connections per origin held by streams");
      else if (held) {
        no(w.tabs + " tabs per user over HTTP/1.1: a browser holds 6 connections per origin across its tabs (C13)");
        row.decided.push("browser six-connection limit (HTTP/1.1)");
        if (browserLimit.length) cite(browserLimit);
        else row.notes.push("the browser limit is not in this evidence: docs/BROWSERS.md shows it measured");
      }
    }
    // Proxies: the records through the workload's network say whether it works.
    if (net !== "loopback") {
      var via = m.network !== net ? find(m.family, m.implementation, net) : [m];
      via.forEach(function (p) {
        if (p.p99 || !(p.failures && p.failures.length)) {
          if (p !== m) { row.decided.push(p.transport + " delivers through " + net + " in its records (" + p.p99_min_file + ")"); cite([p.p99_min_file]); }
          return;
        }
        var f = p.failures[0];
        no(p.transport + " through " + net + ": " + f.reason.split(";")[0] + " (" + f.scenario + ", " + f.file + ")");
        cite([f.file]);
      });
    }
    if (m.network !== "loopback" && m.p99_min_us) {
      find(m.transport, m.implementation, "loopback").forEach(function (d) {
        if (d.p99_min_us > 0 && m.p99_min_us - d.p99_min_us >= Math.max(20e3, d.p99_min_us / 10)) {
          row.decided.push(m.network + " holds messages back: lowest p99 " + usText(m.p99_min_us) + " through it, " + usText(d.p99_min_us) + " direct");
          cite([m.p99_min_file, d.p99_min_file]);
        }
      });
    }
    if (w.resume && m.resume === "none") no("no resume: " + m.implementation + " offers none for " + m.transport);
    if (w.tls && m.handshake) { row.notes.push("TLS handshakes cost the server " + usText(m.handshake.intercept) + " of CPU each: reconnections not costed"); cite(m.handshake.files); }
    if (m.facts.poll_interval && m.poll_interval_s > 0) {
      var iv = m.poll_interval_s * 1e6;
      row.decided.push("short poll: latency is interval/2 on average and its p99 about the interval (" + usText(iv) + " measured)");
      if (m.p99) cite(m.p99.files);
      if (iv * 0.99 > sloUs) no("short poll's p99 is about its interval (" + usText(iv) + ") > SLO " + usText(sloUs));
    }
    if (row.feasible !== "no") {
      var p99m = m.p99, cpuMsg = m.cpu_msg;
      if (w.client_msgs > 0) {
        if (!m.cpu_chat) unknown("client messages not measured (no chat records): upstream cost left out");
        else { p99m = m.p99_chat; cpuMsg = m.cpu_chat; }
      }
      var needs = [];
      // The SLO: the most clients per broadcast whose p99's upper end meets it.
      var fan = fanoutConns(w);
      if (!p99m) unknown("p99 not measured (no broadcast records)");
      else {
        cite(p99m.files);
        var per = solveUpper(p99m, sloUs, fan);
        var what = per >= fan ? "p99 <= SLO " + usText(sloUs) + " with all " + num(fan) + " streams on one server (" + p99m.name + ", upper end)"
          : "p99 <= SLO " + usText(sloUs) + " up to " + num(Math.floor(per)) + " clients per broadcast per server (" + p99m.name + ", upper end)";
        (m.failures || []).some(function (f) {
          if (f.kind === "broadcast" && f.step_param === "clients" && f.x <= per) {
            per = f.x - 1;
            what = "failed at " + num(f.x) + " clients per broadcast (" + f.file + ": " + f.reason + ")";
            cite([f.file]);
            return true;
          }
          return false;
        });
        if (per < 1) no("p99 above the SLO " + usText(sloUs) + " at any size: " + usText(upper(predict(p99m, 0))) + " predicted at the smallest (" + p99m.name + ")");
        else needs.push([Math.ceil(fan / per), what]);
      }
      // The CPU: per connection-second and per message within the budget.
      var base = 0, perConn = 0, perMsg = 0;
      if (m.cpu_idle) { base = m.cpu_idle.intercept; perConn = m.cpu_idle.slope; cite(m.cpu_idle.files); }
      else unknown("CPU per idle connection not measured (no idle records): CPU sized on messages only");
      if (cpuMsg) { if (!m.cpu_idle) base = cpuMsg.intercept; perMsg = cpuMsg.slope; cite(cpuMsg.files); }
      else unknown("CPU per message not measured (no broadcast records): CPU sized on idle connections only");
      if (m.cpu_idle || cpuMsg) {
        var budget = w.cores_per_server * w.cpu_target;
        var work = Math.max(0, perConn) * connections(w) + Math.max(0, perMsg) * delivered(w);
        var head = budget - Math.max(0, base);
        if (head <= 0) no("a server's own CPU (" + base.toFixed(2) + " cores) exceeds the budget of " + budget.toFixed(2));
        else needs.push([Math.ceil(work / head), "CPU: " + num(Number(work.toPrecision(3))) + " cores of work within " + budget.toFixed(2) + " of " + w.cores_per_server + " cores per server"]);
      }
      var servers = 1;
      needs.forEach(function (n) { servers = Math.max(servers, n[0]); });
      if (row.feasible !== "no") {
        needs.forEach(function (n) { row.decided.push(n[1] + ": " + num(Math.max(1, n[0])) + " server(s)" + (n[0] === servers ? " (decides)" : "")); });
        fill(w, m, row, servers, p99m, cpuMsg, cite);
      }
    }
    row.records = Object.keys(files).sort();
    return row;
  }

  // fill writes the figures at the size chosen, and notes predictions far
  // past the sizes measured.
  function fill(w, m, row, servers, p99m, cpuMsg, cite) {
    var perConns = connections(w) / servers;
    function far(p, what, xmax, unit) {
      if (p.beyond > 4) row.notes.push(what + " predicted " + p.beyond.toFixed(0) + "x past the largest size measured (" + num(xmax) + " " + unit + ")");
    }
    row.servers = servers;
    row.cores = servers * w.cores_per_server;
    if (p99m) { row.p99 = predict(p99m, fanoutConns(w) / servers); far(row.p99, "p99", p99m.x_max, "clients"); }
    if (m.rss) {
      var p = predict(m.rss, perConns), k = servers / Math.pow(2, 30);
      row.rss = { value: p.value * k, ci: p.ci ? { lo: p.ci.lo * k, hi: p.ci.hi * k } : null };
      cite(m.rss.files);
      far(p, "RSS", m.rss.x_max, "connections");
    } else row.notes.push("server RSS not measured (no idle records)");
    if (m.cpu_idle) far(predict(m.cpu_idle, perConns), "idle CPU", m.cpu_idle.x_max, "connections");
    if (cpuMsg) far(predict(cpuMsg, delivered(w) / servers), "CPU per message", cpuMsg.x_max, "messages/s");
  }

  // rowLess orders feasible, unknown, infeasible; then servers, then RSS.
  function compare(a, b) {
    var r = { yes: 0, unknown: 1, no: 2 };
    if (r[a.feasible] !== r[b.feasible]) return r[a.feasible] - r[b.feasible];
    if (a.servers !== b.servers) return a.servers - b.servers;
    var ga = a.rss ? a.rss.value : Infinity, gb = b.rss ? b.rss.value : Infinity;
    if (ga !== gb) return ga < gb ? -1 : 1;
    return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
  }

  // rank sizes w on every candidate and orders the rows, or says why the
  // workload makes no sense.
  function rank(w) {
    var fl = floorOf();
    var err = check(w, fl[0]);
    if (err) return { error: err, rows: [] };
    var rows = candidates(w).map(function (c) { return size(w, c); });
    rows.sort(compare); // stable, as Go's sort.SliceStable
    return { error: "", rows: rows };
  }

  // --- the page ---
  var form = document.getElementById("whatif");
  var tbody = document.getElementById("advice-rows");
  var status = document.getElementById("advice-status");
  if (!form || !tbody) return;
  var goRows = tbody.innerHTML;
  function setForm(w) {
    form.clients.value = w.clients;
    form.rate.value = w.rate;
    form.payload.value = w.payload;
    form.tabs.value = w.tabs;
    form.slo.value = w.slo_us / 1000;
    form.tls.checked = w.tls;
    form.proxy.value = w.proxy;
    form.tuned.checked = w.proxy_tuned;
  }
  function readForm() {
    var w = Object.assign({}, data.workload);
    w.clients = Number(form.clients.value);
    w.rate = Number(form.rate.value);
    w.payload = Number(form.payload.value);
    w.tabs = Number(form.tabs.value);
    w.slo_us = Number(form.slo.value) * 1000;
    w.tls = form.tls.checked;
    w.proxy = form.proxy.value;
    w.proxy_tuned = form.tuned.checked;
    return w;
  }
  function cell(tr, text, cls) {
    var td = document.createElement("td");
    td.textContent = text;
    if (cls) td.className = cls;
    tr.appendChild(td);
    return td;
  }
  function render(res) {
    tbody.textContent = "";
    if (res.error) {
      var tr = document.createElement("tr");
      cell(tr, "", "");
      cell(tr, "this workload makes no sense: " + res.error, "contradicted").colSpan = 8;
      tbody.appendChild(tr);
      return;
    }
    res.rows.forEach(function (r, i) {
      var tr = document.createElement("tr");
      tr.dataset.key = r.key;
      tr.dataset.feasible = r.feasible;
      tr.dataset.servers = r.servers ? String(r.servers) : "-";
      cell(tr, String(i + 1));
      cell(tr, r.key);
      cell(tr, r.feasible, r.feasible === "yes" ? "supported" : r.feasible === "no" ? "contradicted" : "mixed");
      cell(tr, r.servers ? String(r.servers) : "-");
      cell(tr, r.servers ? String(r.cores) : "-");
      var gone = r.feasible === "no";
      cell(tr, r.rss ? predText(r.rss, gibText) : gone ? "-" : NM);
      cell(tr, r.p99 ? predText(r.p99, usText) : gone ? "-" : NM);
      cell(tr, r.why.concat(r.decided).concat(r.notes).join("; "), "why");
      var td = cell(tr, ""), det = document.createElement("details"), sum = document.createElement("summary");
      sum.textContent = String(r.records.length);
      det.appendChild(sum);
      r.records.forEach(function (f) {
        var a = document.createElement("code");
        a.textContent = f;
        det.appendChild(a);
        det.appendChild(document.createElement("br"));
      });
      td.appendChild(det);
      tbody.appendChild(tr);
    });
  }
  function update() {
    var res = rank(readForm());
    render(res);
    status.textContent = "Ranked in this page for the workload in the form below (" + (res.error ? "refused" : res.rows.length + " rows") + ").";
  }
  // On load: rank the run's own workload and check it against Go's.
  var initial = rank(data.workload);
  var same = !initial.error && initial.rows.length === data.ranked.length && initial.rows.every(function (r, i) {
    var g = data.ranked[i];
    return r.key === g.key && r.feasible === g.feasible && r.servers === g.servers;
  });
  window.pushbenchFront = { rank: rank, initial: initial, sameAsGo: same };
  if (!same) {
    status.textContent = "The page's own ranking of this workload differs from pushbench advise's: the what-if form cannot be trusted.";
    status.className = "alert";
    console.error("front.js: its ranking of the run's workload differs from Go's");
  }
  setForm(data.workload);
  form.addEventListener("input", update);
  form.addEventListener("change", update);
  document.getElementById("whatif-reset").addEventListener("click", function () {
    setForm(data.workload);
    tbody.innerHTML = goRows;
    status.textContent = "";
  });
})();
