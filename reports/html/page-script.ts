/**
 * The report's browser script, as source text. Chart configurations arrive as JSON (no functions),
 * so an axis that needs formatted tick labels names a formatter instead of carrying a callback:
 *
 *   options.scales.y.ticks = { pushbenchFormat: 'ms' }   // 12 -> "12 ms"
 *
 * The script parses <script type="application/json" id="pushbench-charts">, replaces every
 * `pushbenchFormat` by a `callback` from FORMATTERS, and draws each <canvas data-chart="id">. A
 * chart that cannot be drawn says so in place; its numbers stay in the table below it.
 *
 * Plain ES2017 on purpose: the text below is what the browser runs, untouched by TypeScript.
 */

/** The formatters the page script provides, by name. */
export const FORMATTER_NAMES = ['percentile', 'count', 'ms', 'bytes'] as const;

/**
 * - 'percentile': a log axis of v = 1/(1-p) (an HDR percentile plot): 10 -> "90%", 100 -> "99%",
 *   1000 -> "99.9%", 1 -> "0%"; values that are not a power of ten get no label ('').
 * - 'count': thousands separators: 12000 -> "12,000", 2.5 -> "2.5".
 * - 'ms': three significant digits and the unit: 12 -> "12 ms", 0.25 -> "0.25 ms", 1500 -> "1,500 ms".
 * - 'bytes': 1 KB = 1024 B: 512 -> "512 B", 1229 -> "1.2 KB", 5242880 -> "5 MB".
 */
export type FormatterName = (typeof FORMATTER_NAMES)[number];

/** The chart configurations' JSON element id. */
export const CHART_DATA_ID = 'pushbench-charts';

/** FORMATTERS as an object-literal expression; every formatter takes a number and returns a string. */
const FORMATTERS_LITERAL = String.raw`{
  percentile: function (v) {
    if (typeof v !== 'number' || !isFinite(v) || v < 1) return '';
    var k = Math.log10(v);
    var whole = Math.round(k);
    if (Math.abs(k - whole) > 1e-9) return '';
    if (whole === 0) return '0%';
    if (whole === 1) return '90%';
    var label = '99';
    if (whole > 2) label += '.' + new Array(whole - 1).join('9');
    return label + '%';
  },
  count: function (v) {
    if (typeof v !== 'number' || !isFinite(v)) return '';
    var size = Math.abs(v);
    var digits = size >= 100 || v === Math.round(v) ? 0 : size >= 10 ? 1 : 2;
    return pbGroup(pbFixed(v, digits));
  },
  ms: function (v) {
    if (typeof v !== 'number' || !isFinite(v)) return '';
    return pbSignificant(v) + ' ms';
  },
  bytes: function (v) {
    if (typeof v !== 'number' || !isFinite(v)) return '';
    if (Math.abs(v) < 1024) return pbGroup(pbFixed(v, 0)) + ' B';
    var units = ['KB', 'MB', 'GB', 'TB'];
    var scaled = v / 1024;
    var unit = 0;
    while (Math.abs(scaled) >= 1024 && unit < units.length - 1) {
      scaled /= 1024;
      unit++;
    }
    return pbSignificant(scaled) + ' ' + units[unit];
  }
}`;

/** Number helpers the formatters use. */
const HELPERS_SOURCE = String.raw`
  function pbFixed(v, digits) {
    var text = v.toFixed(digits);
    if (text.indexOf('.') >= 0) text = text.replace(/0+$/, '').replace(/\.$/, '');
    return text === '-0' ? '0' : text;
  }
  function pbGroup(text) {
    var parts = text.split('.');
    parts[0] = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ',');
    return parts.join('.');
  }
  function pbSignificant(v) {
    if (v === 0) return '0';
    if (Math.abs(v) >= 1000) return pbGroup(pbFixed(v, 0));
    var rounded = Number(v.toPrecision(3));
    var abs = Math.abs(rounded);
    if (abs >= 1000) return pbGroup(pbFixed(rounded, 0));
    var digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : Math.min(6, 2 - Math.floor(Math.log10(abs)));
    return pbFixed(rounded, digits);
  }
`;

/**
 * The helpers and `var FORMATTERS = {...};`: the exact code the page runs, so tests can evaluate it
 * (e.g. in node:vm) and check the labels the browser will show.
 */
export const FORMATTERS_SOURCE = `${HELPERS_SOURCE}\n  var FORMATTERS = ${FORMATTERS_LITERAL};\n`;

/** The whole script: run once, after the canvases, the chart data and chart.js are in the page. */
export const PAGE_SCRIPT = String.raw`(function () {
  'use strict';
${FORMATTERS_SOURCE}
  /** Replaces every { pushbenchFormat: name } in a config by a tick callback of that formatter. */
  function applyFormats(node) {
    if (Array.isArray(node)) {
      for (var i = 0; i < node.length; i++) applyFormats(node[i]);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    if (typeof node.pushbenchFormat === 'string') {
      var format = FORMATTERS[node.pushbenchFormat];
      if (format) {
        node.callback = function (value) {
          // A category axis passes an index: format its label instead.
          if (this && this.type === 'category' && typeof this.getLabelForValue === 'function') {
            return format(Number(this.getLabelForValue(value)));
          }
          return format(Number(value));
        };
      } else if (typeof console !== 'undefined') {
        console.warn('pushbench: unknown formatter ' + node.pushbenchFormat);
      }
      delete node.pushbenchFormat;
    }
    for (var key in node) {
      if (Object.prototype.hasOwnProperty.call(node, key) && key !== 'callback') applyFormats(node[key]);
    }
  }

  function fail(canvas, message) {
    var box = canvas.parentNode;
    var note = document.createElement('p');
    note.className = 'chart-error';
    note.textContent = 'This chart could not be drawn (' + message + '); its numbers are in the table below.';
    if (box && box.parentNode) box.parentNode.replaceChild(note, box);
  }

  var dataElement = document.getElementById('${CHART_DATA_ID}');
  var configs = {};
  try {
    configs = dataElement ? JSON.parse(dataElement.textContent || '{}') : {};
  } catch (err) {
    configs = {};
  }
  var canvases = document.querySelectorAll('canvas[data-chart]');
  var charts = [];
  var ChartClass = typeof Chart === 'function' ? Chart : null;
  if (ChartClass && ChartClass.defaults) {
    ChartClass.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
    ChartClass.defaults.color = '#3d444d';
    ChartClass.defaults.animation = false;
  }
  for (var i = 0; i < canvases.length; i++) {
    var canvas = canvases[i];
    var id = canvas.getAttribute('data-chart');
    var config = Object.prototype.hasOwnProperty.call(configs, id) ? configs[id] : null;
    if (!ChartClass) {
      fail(canvas, 'chart.js did not load');
      continue;
    }
    if (!config) {
      fail(canvas, 'no configuration for "' + id + '"');
      continue;
    }
    try {
      applyFormats(config);
      config.options = config.options || {};
      if (config.options.maintainAspectRatio === undefined) config.options.maintainAspectRatio = false;
      if (config.options.responsive === undefined) config.options.responsive = true;
      charts.push(new ChartClass(canvas, config));
    } catch (err) {
      fail(canvas, err && err.message ? err.message : String(err));
    }
  }
  // Canvases keep their screen size when printed unless told to fit the page.
  if (typeof window !== 'undefined' && window.addEventListener) {
    window.addEventListener('beforeprint', function () {
      for (var j = 0; j < charts.length; j++) charts[j].resize();
    });
    window.addEventListener('afterprint', function () {
      for (var j = 0; j < charts.length; j++) charts[j].resize();
    });
  }
})();
`;
