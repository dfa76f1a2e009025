{
  "targets": [
    {
      "target_name": "uniadapter",
      "sources": ["<!@(node scripts/build-config.js gyp-sources)"],
      "include_dirs": ["<!@(node scripts/build-config.js gyp-includes)"],
      "defines": ["<!@(node scripts/build-config.js gyp-defines)"],
      "cflags_cc": ["<!@(node scripts/build-config.js gyp-cflags)"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17"],
      "cflags!": ["-fno-exceptions"],
      "ldflags": ["<!@(node scripts/build-config.js gyp-ldflags)"],
      "libraries": ["<!@(node scripts/build-config.js gyp-libs)"]
    }
  ]
}
