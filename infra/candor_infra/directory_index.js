// CloudFront Function (cloudfront-js-2.0), viewer request of the pages.
// S3 behind origin access control answers 403 for a directory key and
// DefaultRootObject covers "/" only, so a directory path gets its
// index.html here: "/console/" -> "/console/index.html". A path whose last
// segment has no dot ("/console") is a directory without its slash: it is
// redirected to "/console/", because the page's relative URLs (styles.css)
// resolve against the slash. Everything else passes unchanged.
// No imports or exports: the stack uploads this file as it is, and
// tests/infra and tests/deploy evaluate it in node with
// `new Function(source + "\nreturn handler;")`.
function handler(event) {
  var request = event.request;
  var uri = request.uri;
  if (uri.endsWith("/")) {
    request.uri = uri + "index.html";
    return request;
  }
  var last = uri.substring(uri.lastIndexOf("/") + 1);
  if (last.indexOf(".") !== -1) {
    return request;
  }
  // Leading slashes and backslashes collapse to one: "//evil.example/x"
  // or "/\evil.example/x" as a Location is another host (scheme-relative),
  // which would make this site an open redirect.
  var path = "/" + uri.replace(/^[\/\\]+/, "");
  return {
    statusCode: 302,
    statusDescription: "Found",
    headers: { location: { value: path + "/" + queryString(request.querystring) } },
  };
}

// The query string as the viewer sent it: CloudFront passes names and
// values still encoded, so they are joined, not encoded again.
function queryString(querystring) {
  var parts = [];
  var names = Object.keys(querystring || {});
  for (var i = 0; i < names.length; i++) {
    var entry = querystring[names[i]];
    var values = entry.multiValue ? entry.multiValue : [entry];
    for (var j = 0; j < values.length; j++) {
      var value = values[j].value;
      parts.push(value === "" ? names[i] : names[i] + "=" + value);
    }
  }
  return parts.length ? "?" + parts.join("&") : "";
}
