// The script-tag entry: defines `window.herogi` and runs the calls that the inline snippet's
// stub queued while this script was loading.
import * as sdk from "./index.js";

const stub = window.herogi;
window.herogi = {
  init: sdk.init,
  identify: sdk.identify,
  reset: sdk.reset,
  getHgid: sdk.getHgid,
  ready: sdk.ready,
  version: sdk.version,
  HerogiError: sdk.HerogiError,
};
if (stub && Array.isArray(stub.q)) sdk.replay(stub.q);
