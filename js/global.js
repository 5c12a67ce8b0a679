// The script-tag entry: defines `window.herogi` and runs the calls that the inline snippet's
// stub queued while this script was loading.
import { identify, init, replay } from "./index.js";

const stub = window.herogi;
window.herogi = { init, identify };
if (stub && Array.isArray(stub.q)) replay(stub.q);
