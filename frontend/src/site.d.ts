// The operator's site settings build.ts builds into the bundles (`import site from "candor:site"`).

declare module "candor:site" {
  const site: import("./page/site.js").SiteSettings;
  export default site;
}
