// The salary page: asks the JSON API of this same server, draws the curve as SVG.
// No request leaves the page's own origin; no script, style or font from elsewhere.
// The query lives in the address (?country=DE&years=5...), so an answer can be shared
// and the back button returns to the previous one.
"use strict";

const $ = (id) => document.getElementById(id);
const FIELDS = ["country", "years", "company", "population", "confidence", "currency", "as_of", "salary"];
const EXAMPLE = { country: "DE", years: "5" };
const RESULTS = ["answer", "curve-box", "ranges-box", "employers-box", "figures-box"];
// What each support grade means (the rule is in salarymodel.training.provenance).
const SUPPORT = {
  strong: "two or more reported figures cover these years",
  moderate: "one reported figure covers these years",
  thin: "only figures for all levels together cover these years",
  extrapolated: "no figure reaches these years: the curve is carried on from the nearest ones",
};
let known = [];
let asked = 0;  // the latest question; answers to older ones are dropped
let lastCurve = null;

// Whole amounts grouped as the currency's readers group them: rupees in lakh and crore.
const grouping = (cur) => (cur === "INR" ? "en-IN" : "en-US");
const amount = (v, cur) => Math.round(v).toLocaleString(grouping(cur));
const money = (v, cur) => `${amount(v, cur)} ${cur}`;
const span = (lo, hi, cur) => `${amount(lo, cur)} – ${amount(hi, cur)} ${cur}`;
const spread = (logSd) => `±${Math.round(100 * (Math.exp(logSd) - 1))}%`;

async function getJSON(path, params, body = null) {
  const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== "" && v != null));
  const response = await fetch(`${path}?${query}`, body === null ? {} :
    { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const answer = await response.json();
  if (!response.ok) {
    const detail = answer.detail && answer.detail[0];
    const where = detail && detail.loc ? detail.loc[detail.loc.length - 1] : "request";
    throw new Error(detail ? `${where}: ${detail.msg}` : `request failed (${response.status})`);
  }
  return answer;
}

// The employers and the populations (sources of the model's records) of the chosen country.
function fillEmployers() {
  const country = known.find((c) => c.country === $("country").value);
  $("employers").replaceChildren(...(country ? country.employers : []).map((name) => {
    const option = document.createElement("option");
    option.value = name;
    return option;
  }));
  const populations = country && country.populations ? country.populations : [];
  const chosen = $("population").value;
  $("population").replaceChildren($("population").options[0], ...populations.map((name) => {
    const option = document.createElement("option");
    option.value = name;
    option.textContent = name;
    return option;
  }));
  $("population").value = populations.includes(chosen) ? chosen : "";
  $("population-field").hidden = populations.length === 0;
}

// One table row; with `labels`, each cell carries its column's name for the stacked phone layout.
function row(cells, tag = "td", labels = null) {
  const tr = document.createElement("tr");
  cells.forEach((text, i) => {
    const cell = document.createElement(tag);
    cell.textContent = text;
    if (labels) cell.dataset.label = labels[i];
    tr.appendChild(cell);
  });
  return tr;
}

const columnNames = (table) => [...$(table).querySelectorAll("thead th")].map((th) => th.textContent);

// Drawn in the SVG's own pixels (its viewBox is its size on screen), so text is the size the
// style sheet says on a phone as on a desktop.
function drawCurve(curve, answer, standing) {
  const svg = $("curve");
  const W = Math.max(260, Math.round(svg.getBoundingClientRect().width) || 640);
  const H = Math.round(Math.min(340, Math.max(220, W * 0.55)));
  const L = 52, R = 12, T = 28, B = 40;
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  const cur = curve.currency;
  const pts = curve.points;
  const top = Math.max(...pts.map((p) => p.p90), standing ? standing.salary : 0) * 1.05;
  const maxX = pts[pts.length - 1].years;
  const x = (v) => L + (Math.min(v, maxX) / maxX) * (W - L - R);
  const y = (v) => H - B - (Math.min(v, top) / top) * (H - T - B);
  const path = (key) => pts.map((p) => `${x(p.years).toFixed(1)},${y(p[key]).toFixed(1)}`);
  const area = (lo, hi) => [...path(hi), ...path(lo).reverse()].join(" ");
  const ns = "http://www.w3.org/2000/svg";
  const el = (name, attrs, text) => {
    const node = document.createElementNS(ns, name);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  };
  // Rupee ticks in lakh (1L = 1,00,000), others in thousands.
  const tick = cur === "INR" ? (v) => `${+(v / 1e5).toFixed(1)}L` : (v) => `${+(v / 1000).toFixed(1)}k`;
  const children = [
    el("polygon", { class: "band", points: area("p10", "p90"), "data-band": "p10-p90" }),
    el("polygon", { class: "inner", points: area("p25", "p75"), "data-band": "p25-p75" }),
    el("polyline", { class: "median", points: path("p50").join(" "), "data-line": "p50" }),
    el("line", { class: "axis", x1: L, y1: H - B, x2: W - R, y2: H - B }),
    el("line", { class: "axis", x1: L, y1: T, x2: L, y2: H - B }),
    el("text", { class: "tick axis-title", x: 4, y: 14 }, `${cur} per year`),
    el("text", { class: "tick axis-title", x: L + (W - L - R) / 2, y: H - 6, "text-anchor": "middle" },
       "years of experience"),
  ];
  const step = W < 420 ? 10 : 5;
  for (let t = 0; t <= maxX; t += step) {
    children.push(el("text", { class: "tick", x: x(t), y: H - B + 16, "text-anchor": "middle" }, String(t)));
  }
  const every = roundStep(top);
  for (let v = 0; v <= top; v += every) {
    children.push(el("text", { class: "tick", x: L - 6, y: y(v) + 4, "text-anchor": "end", "data-value": v }, tick(v)));
  }
  const at = (answer.years + (answer.years_max ?? answer.years)) / 2;  // a range: its middle
  children.push(el("circle", { class: "point", r: 6, cx: x(at), cy: y(answer.median),
                               "data-years": answer.years, "data-median": answer.median }));
  if (standing && standing.beyond === null) {
    const size = 7, cx = x(at), cy = y(standing.salary);
    children.push(el("polygon", { class: "offer", "data-salary": standing.salary,
                                  "data-percentile": standing.percentile,
                                  points: `${cx},${cy - size} ${cx + size},${cy} ${cx},${cy + size} ${cx - size},${cy}` }));
  }
  svg.replaceChildren(...children);
}

// A tick step people read at a glance: 1, 2, 2.5 or 5 times a power of ten, about four up to `top`.
function roundStep(top) {
  const raw = top / 4;
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 2.5, 5, 10].map((m) => m * power).find((step) => step >= raw);
}

function clearResults() {
  for (const id of RESULTS) $(id).hidden = true;
  for (const id of ["sentence", "details", "rank", "parts"]) $(id).textContent = "";
  for (const table of ["employers-table", "figures", "ranges-table"]) $(table).querySelector("tbody").replaceChildren();
  $("rank").hidden = true;
  $("curve").replaceChildren();
  lastCurve = null;
}

const formParams = () => Object.fromEntries(FIELDS.map((name) => [name, $(name).value.trim()]));

function fillForm(params) {
  for (const name of FIELDS) {
    if (name === "country" && params.country && !known.some((c) => c.country === params.country)) continue;
    $(name).value = params[name] ?? (name === "confidence" ? "0.8" : "");
  }
  fillEmployers();
  if (params.population) $("population").value = params.population;  // its option exists now
}

async function ask(params) {
  const mine = ++asked;
  const current = () => mine === asked;
  document.body.dataset.state = "asking";
  $("error").hidden = true;
  const moneyOf = { currency: params.currency, as_of: params.as_of };
  const where = { country: params.country, years: params.years, company: params.company, population: params.population };
  const whose = { country: params.country, company: params.company, population: params.population };
  try {
    const e = await getJSON("/api/v1/estimate", { ...where, ...moneyOf, confidence: params.confidence });
    const standing = params.salary ? await getJSON("/api/v1/rank", { ...where, ...moneyOf, salary: params.salary }) : null;
    const curve = await getJSON("/api/v1/curve", { ...whose, ...moneyOf });
    const ranges = await getJSON("/api/v1/ranges", { ...whose, ...moneyOf });
    const country = known.find((c) => c.country === e.country);
    const employers = [null, ...(country ? country.employers : [])];
    // The employer comparison is one batch request, however many employers the model knows.
    const compared = await getJSON("/api/v1/estimates", {}, {
      rows: employers.map((company) => ({ country: e.country, years: params.years, company: company || "" })),
      confidence: Number(params.confidence || 0.8),
      ...Object.fromEntries(Object.entries({ ...moneyOf, population: params.population }).filter(([, v]) => v)),
    });
    const why = await getJSON("/api/v1/explain", { ...where, ...moneyOf });
    if (!current()) return;
    showAnswer(e, standing);
    lastCurve = [curve, e, standing];
    $("curve-box").hidden = false;
    drawCurve(curve, e, standing);
    showRanges(ranges, e);
    showEmployers(employers, compared.rows);
    showFigures(why, e);
    document.body.dataset.state = "answered";
  } catch (error) {
    if (!current()) return;
    clearResults();  // nothing of an earlier answer stays under an error
    $("error").textContent = error.message;
    $("error").hidden = false;
    document.body.dataset.state = "failed";
  }
}

// Whose pay an answer is: the employer's when the model knows it, else the market's.
const whosePay = (e) => (e.company_known ? `${e.company}'s` : "The market's");

function showAnswer(e, standing) {
  $("sentence").textContent = e.sentence;
  const level = e.years_max === null ? `Level: ${e.level}` : `Level: mostly ${e.level}`;
  $("details").textContent = `${level}. Support: ${e.support} (${SUPPORT[e.support]}). It rests on ` +
    `${e.sources.length === 1 ? "figure" : "figures"} ${e.sources.join(", ")} (listed below). ${whosePay(e)} median ` +
    `itself is known to ${span(e.median_low, e.median_high, e.currency)} (80% interval)` +
    (e.projected ? "; past the last published wage index, pay is projected." : ".");
  $("rank").textContent = standing ? standing.sentence : "";
  $("rank").hidden = !standing;
  const head = $("percentiles").querySelector("thead tr"), body = $("percentiles").querySelector("tbody tr");
  head.replaceChildren(...Object.keys(e.percentiles).map((k) => row([k], "th").firstChild));
  // The currency goes in the caption so that each amount fits its cell on a phone.
  body.replaceChildren(...Object.values(e.percentiles).map((v) => row([amount(v, e.currency)]).firstChild));
  $("percentiles").querySelector("caption").textContent = `Percentiles of base salary (${e.currency}): ` +
    "p25 means a quarter of ML engineers like this earn less, p50 is the median.";
  $("answer").hidden = false;
}

function showRanges(answer, e) {
  const labels = columnNames("ranges-table");
  $("ranges-table").querySelector("tbody").replaceChildren(...answer.ranges.map((r) => row([
    r.level, `${r.years_min}–${r.years_max}`, money(r.minimum, r.currency), money(r.midpoint, r.currency),
    money(r.maximum, r.currency), r.support], "td", labels)));
  $("ranges-note").textContent = `For a job posting: the minimum, midpoint and maximum are the ` +
    `${answer.spread[0]}th, ${answer.target}th and ${answer.spread[1]}th percentiles of base salary of ML engineers ` +
    `${e.company_known ? `at ${e.company} ` : ""}in each level's years. They describe ` +
    `${e.company_known ? `pay at ${e.company}` : "the market"}; they do not show that any one employer's pay is fair.`;
  $("ranges-box").hidden = false;
}

function showEmployers(employers, rows) {
  const labels = columnNames("employers-table");
  $("employers-table").querySelector("tbody").replaceChildren(...rows.map((r, i) => row([
    employers[i] || "the market (any employer)", money(r.median, r.currency), span(r.low, r.high, r.currency)],
    "td", labels)));
  $("employers-caption").textContent = `Median and ${Math.round(100 * Number($("confidence").value || 0.8))}% band ` +
    `for the same years at each employer the model has figures for.`;
  $("employers-box").hidden = false;
}

// "Payscale, quoted by unite.ai (2023-06)": the site behind a figure and the article that quoted it.
function quotedBy(f) {
  const article = f.publisher ? `${f.publisher}${f.published ? ` (${f.published})` : ""}` : f.source;
  return f.site ? `${f.site}, quoted by ${article}` : article;
}

function showFigures(why, e) {
  const p = why.band_parts;
  $("parts").textContent = `Why the band is this wide: ML engineers like this differ from one another by about ` +
    `${spread(p.within_sd)} (one standard deviation of pay within the market), and ${e.company_known ? `${e.company}'s` : "the market's"} median is itself ` +
    `known only to about ${spread(p.median_sd_high)}, because few figures pin it down.`;
  const cur = e.currency;
  $("figures").querySelector("tbody").replaceChildren(...why.figures.map((f) => row([
    f.id, quotedBy(f), f.statistic, f.level,
    // As the source published it (its own currency and year); the model's value is in the answer's money.
    f.published_value === null || f.published_value === undefined
      ? (f.reported_high ? span(f.reported, f.reported_high, cur) : money(f.reported, cur))
      : (f.published_value_high ? span(f.published_value, f.published_value_high, f.published_currency)
        : money(f.published_value, f.published_currency)) + ` (${f.published_year})`,
    f.model_high ? span(f.model, f.model_high, cur) : money(f.model, cur),
  ], "td", columnNames("figures"))));
  $("figures-box").hidden = false;
}

function queryOf(params) {
  return "?" + new URLSearchParams(Object.entries(params).filter(([k, v]) => v !== "" && !(k === "confidence" && v === "0.8")));
}

function submitted(event) {
  event.preventDefault();
  const params = formParams();
  history.pushState(params, "", queryOf(params));
  ask(params);
}

function fromAddress() {
  const given = Object.fromEntries(new URLSearchParams(location.search));
  return Object.keys(given).length ? given : EXAMPLE;
}

async function start() {
  const data = await getJSON("/api/v1/known", {});
  known = data.countries;
  $("country").replaceChildren(...known.map((c) => {
    const option = document.createElement("option");
    option.value = c.country;
    option.textContent = `${c.name} (${c.currency})`;
    return option;
  }));
  $("currency").append(...data.currencies.map((code) => {
    const option = document.createElement("option");
    option.value = code;
    option.textContent = code;
    return option;
  }));
  $("country").addEventListener("change", fillEmployers);
  $("ask").addEventListener("submit", submitted);
  window.addEventListener("popstate", () => {
    const params = fromAddress();
    fillForm(params);
    ask(formParams());
  });
  let resizing = null;
  window.addEventListener("resize", () => {
    clearTimeout(resizing);
    resizing = setTimeout(() => { if (lastCurve) drawCurve(...lastCurve); }, 100);
  });
  // The first load answers at once: the address's question, or the example (Germany, 5 years).
  fillForm(fromAddress());
  await ask(formParams());
  document.body.dataset.ready = "true";
}

start();
