// The JavaScript contenders, behind one small interface so every measurement treats them alike.
//   add(fn, ...args) -> token   one registration (args only where the library takes them)
//   remove(token)               removes that registration (ours: by function, like Python)
//   reset(tokens)               drops the registrations made (ours: clear())
// `args`: the library binds arguments at registration. `dedupes`: registering the same function
// twice keeps one registration (a Set), so "N registrations of one function" means nothing there.

export const names = ['atexit', 'signal-exit', 'exit-hook', 'when-exit'];

export async function load(name) {
  switch (name) {
    case 'atexit': {
      const atexit = await import('atexit');
      return {
        name, args: true, dedupes: false,
        add: atexit.register,
        remove: atexit.unregister,
        reset: () => atexit.clear(),
      };
    }
    case 'signal-exit': {
      const { onExit } = await import('signal-exit');
      return removers(name, onExit, false);
    }
    case 'exit-hook': {
      const { default: exitHook } = await import('exit-hook');
      return removers(name, exitHook, true);
    }
    case 'when-exit': {
      const { default: whenExit } = await import('when-exit');
      return removers(name, whenExit, true);
    }
    default:
      throw new Error(`unknown contender ${name}`);
  }
}

/** Peers hand back one remover per registration; the caller keeps the tokens (as it does for us). */
function removers(name, subscribe, dedupes) {
  return {
    name, args: false, dedupes,
    add: subscribe,
    remove: (token) => token(),
    reset(tokens) {
      for (const remove of tokens) remove?.();
    },
  };
}
