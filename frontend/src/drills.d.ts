// The operator's drill scenarios, checked by build.ts and built into the
// console (`import drills from "candor:drills"`).

declare module "candor:drills" {
  const drills: import("./lib/drill.js").DrillLibrary;
  export default drills;
}
