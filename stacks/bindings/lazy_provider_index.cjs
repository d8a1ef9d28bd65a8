// Node.js side of the lazy provider loading described in stacks/bindings/__init__.py.
//
// The jsii kernel `require`s a provider package's lib/index.js when Python loads the
// assembly; for AWS that index requires all ~2,200 resource modules (~270 MB of
// JavaScript, several seconds and hundreds of MB). Preloaded with `node --require`,
// this file answers that one require with an object whose properties load each
// submodule the first time the kernel looks it up. Any index whose shape is not the
// expected `exports.<name> = require("./<dir>");` list is loaded normally.
"use strict";

const Module = require("module");
const fs = require("fs");
const path = require("path");

const PROVIDER_INDEX = /[\\/]node_modules[\\/]@cdktf[\\/]provider-[\w-]+[\\/]lib[\\/]index\.js$/;
const SUBMODULE_EXPORT = /^exports\.(\w+) = require\("(\.\/[\w-]+)"\);$/gm;
const originalLoad = Module._load;
const lazyIndexes = new Map();

function lazyIndex(filename) {
  const source = fs.readFileSync(filename, "utf8");
  const submodules = [...source.matchAll(SUBMODULE_EXPORT)];
  const statements = source.split("\n").filter((line) => line.startsWith("exports.") && line.includes("require("));
  if (submodules.length === 0 || submodules.length !== statements.length) {
    return undefined;
  }
  const directory = path.dirname(filename);
  const exported = { __esModule: true };
  for (const [, name, relative] of submodules) {
    Object.defineProperty(exported, name, {
      configurable: true,
      enumerable: true,
      get() {
        const loaded = require(path.join(directory, relative));
        Object.defineProperty(exported, name, { value: loaded, enumerable: true });
        return loaded;
      },
    });
  }
  return exported;
}

Module._load = function loadProviderIndexLazily(request, parent, isMain) {
  let filename;
  try {
    filename = Module._resolveFilename(request, parent, isMain);
  } catch {
    return originalLoad.apply(this, arguments);
  }
  if (!PROVIDER_INDEX.test(filename)) {
    return originalLoad.apply(this, arguments);
  }
  if (!lazyIndexes.has(filename)) {
    lazyIndexes.set(filename, lazyIndex(filename));
  }
  return lazyIndexes.get(filename) ?? originalLoad.apply(this, arguments);
};
