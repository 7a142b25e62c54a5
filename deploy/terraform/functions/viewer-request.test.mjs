// Checks of the CloudFront Function in viewer-request.js.tftpl, run with Node:
//
//   node deploy/terraform/functions/viewer-request.test.mjs
//
// The template has one interpolation, ${authorization}, filled in here as Terraform would.
// Node is not CloudFront's runtime (cloudfront-js-2.0); the function keeps to ES5 and the
// String methods that runtime has.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

const template = readFileSync(new URL("viewer-request.js.tftpl", import.meta.url), "utf8");
const load = (authorization) =>
  new Function(template.replace("${authorization}", authorization) + "\nreturn handler;")();
const request = (uri, headers = {}, querystring = {}) => ({
  request: { method: "GET", uri, headers, querystring },
});
const basic = (credentials) => ({
  authorization: { value: "Basic " + Buffer.from(credentials).toString("base64") },
});

const open = load("");
assert.equal(open(request("/")).uri, "/index.html");
assert.equal(open(request("/health/")).uri, "/health/index.html");
assert.equal(open(request("/assets/site.0123abcd.css")).uri, "/assets/site.0123abcd.css");
assert.equal(open(request("/robots.txt")).uri, "/robots.txt");

let response = open(request("/health"));
assert.equal(response.statusCode, 301);
assert.equal(response.headers.location.value, "/health/");
response = open(
  request("/search", {}, {
    q: { value: "pay" },
    page: { value: "2", multiValue: [{ value: "2" }, { value: "3" }] },
  }),
);
assert.equal(response.headers.location.value, "/search/?q=pay&page=2&page=3");

const staging = load("Basic " + Buffer.from("almanac:correct horse battery").toString("base64"));
response = staging(request("/health/"));
assert.equal(response.statusCode, 401);
assert.match(response.headers["www-authenticate"].value, /^Basic realm=/);
assert.equal(staging(request("/health/", basic("almanac:wrong"))).statusCode, 401);
assert.equal(
  staging(request("/health/", basic("almanac:correct horse battery"))).uri,
  "/health/index.html",
);

console.log("viewer-request: 11 passed, 0 failed");
