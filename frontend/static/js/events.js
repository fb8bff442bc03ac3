// The kinds of session event, as the server names them (leisaac_core.session.EventKind,
// written into the page): EVENT.EPISODE_SAVED === "episode_saved". A name the server does
// not know throws here instead of never matching.

const KINDS = Object.freeze(JSON.parse(document.getElementById("event-kinds").textContent));

export const EVENT = new Proxy(KINDS, {
  get(kinds, name) {
    if (typeof name === "string" && !(name in kinds)) throw new Error(`unknown event kind ${name}`);
    return kinds[name];
  },
});
