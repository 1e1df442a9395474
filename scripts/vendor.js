#!/usr/bin/env node
// Copies the built front-end libraries from node_modules into endpoint/static/vendor, so the
// app serves them itself (no CDN at run time) and a pip install carries them.
// Run after `npm ci`:  npm ci && node scripts/vendor.js   (or: make vendor)
// Writes endpoint/static/vendor/yasgui/{yasgui.min.js,yasgui.min.css,LICENSES.txt,VERSION}
// and endpoint/static/vendor/leaflet/{leaflet.js,leaflet.css,images/*.png,LICENSE,VERSION}.
"use strict";
const fs = require("fs");
const path = require("path");

const root = path.resolve(__dirname, "..");
const modules = path.join(root, "node_modules");
const out = path.join(root, "endpoint", "static", "vendor", "yasgui");
const pkg = "@zazuko/yasgui";
const separate = new Set(["leaflet"]); // vendored on their own below, not in YASGUI's bundle
const files = ["yasgui.min.js", "yasgui.min.css"];

const src = path.join(modules, pkg, "build");
if (!fs.existsSync(src)) {
  console.error(`${pkg} is not installed: run \`npm ci\` first`);
  process.exit(1);
}
fs.mkdirSync(out, { recursive: true });
for (const f of files) {
  // the source-map comment would make browsers ask for a .map file we do not ship
  const text = fs.readFileSync(path.join(src, f), "utf8")
    .replace(/\n?\/[/*][#@] sourceMappingURL=\S+?(?: \*\/)?\s*$/, "\n");
  fs.writeFileSync(path.join(out, f), text);
}

// Every production package of the lock file: the bundle includes their code.
const lock = JSON.parse(fs.readFileSync(path.join(root, "package-lock.json"), "utf8"));
const version = lock.packages[`node_modules/${pkg}`].version;
const parts = [
  `${pkg} ${version} (MIT) and the packages bundled into it, as installed from the npm`,
  "registry by package-lock.json. Licence texts follow, where the package ships one.",
  "",
];
for (const [where, info] of Object.entries(lock.packages).sort()) {
  const name = where.replace(/^.*node_modules\//, "");
  if (!where || info.dev || separate.has(name)) continue;
  const dir = path.join(root, where);
  parts.push("=".repeat(78), `${name} ${info.version || ""} — ${info.license || "see package"}`,
             "=".repeat(78));
  const licence = fs.existsSync(dir)
    ? fs.readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f)) : undefined;
  parts.push(licence ? fs.readFileSync(path.join(dir, licence), "utf8").trim()
                     : `(no licence file in the package; its package.json says: ${info.license})`, "");
}
fs.writeFileSync(path.join(out, "LICENSES.txt"), parts.join("\n"));
fs.writeFileSync(path.join(out, "VERSION"), `${pkg}@${version}\n`);
console.log(`vendored ${pkg}@${version} into ${path.relative(root, out)}`);

// Leaflet (the map of a school's or a district's page): its built files, marker images and
// licence, as they are in the package (no source maps: browsers would ask for them).
const leafletSrc = path.join(modules, "leaflet", "dist");
if (!fs.existsSync(leafletSrc)) {
  console.error("leaflet is not installed: run `npm ci` first");
  process.exit(1);
}
const leafletOut = path.join(root, "endpoint", "static", "vendor", "leaflet");
fs.mkdirSync(path.join(leafletOut, "images"), { recursive: true });
for (const f of ["leaflet.js", "leaflet.css"]) {
  const text = fs.readFileSync(path.join(leafletSrc, f), "utf8")
    .replace(/\n?\/[/*][#@] sourceMappingURL=\S+?(?: \*\/)?\s*$/, "\n");
  fs.writeFileSync(path.join(leafletOut, f), text);
}
for (const f of fs.readdirSync(path.join(leafletSrc, "images"))) {
  fs.copyFileSync(path.join(leafletSrc, "images", f), path.join(leafletOut, "images", f));
}
fs.copyFileSync(path.join(modules, "leaflet", "LICENSE"), path.join(leafletOut, "LICENSE"));
const leafletVersion = lock.packages["node_modules/leaflet"].version;
fs.writeFileSync(path.join(leafletOut, "VERSION"), `leaflet@${leafletVersion}\n`);
console.log(`vendored leaflet@${leafletVersion} into ${path.relative(root, leafletOut)}`);
