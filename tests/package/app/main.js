// A small app that uses the npm package as a bundler user would. It does nothing at load:
// the test calls window.app.run once it has checked that loading the bundle had no effect.
import herogi, { HerogiError, InvalidArgumentError } from "herogi";

async function run({ appId, appSecret, externalId }) {
  herogi.init(appId, appSecret, false, { apiUrl: location.origin });
  await herogi.ready();
  const { hgid, dropped } = await herogi.identify(
    externalId,
    { firstname: "Npm", gender: "female" },
    { plan: "pro" },
    { emailOptin: true },
  );

  let rejection = null;
  try {
    await herogi.identify("undefined");
  } catch (error) {
    rejection = {
      code: error.code,
      isHerogiError: error instanceof HerogiError,
      isInvalidArgumentError: error instanceof InvalidArgumentError,
    };
  }
  return { hgid, dropped, stored: herogi.getHgid(), version: herogi.version, rejection };
}

window.app = { run };
