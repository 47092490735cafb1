// The operator's playbooks and reply templates build.ts checks and builds
// into the bundles (`import playbooks from "candor:playbooks"`).

declare module "candor:playbooks" {
  const playbooks: import("./lib/playbook.js").Playbooks;
  export default playbooks;
}

declare module "candor:replies" {
  const replies: import("./lib/replies.js").Replies;
  export default replies;
}
