import { enableCompileCache } from 'node:module';

// Compiling the gateway's modules is a good part of every start; Node can keep the compiled code
// on disk and reuse it while the sources are unchanged
// (https://nodejs.org/api/module.html#module-compile-cache). Where the cache directory cannot be
// written, Node says so in the returned status and simply compiles as before.
enableCompileCache();
