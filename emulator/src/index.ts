// The emulator's public surface for in-process use (tests, demo, benchmarks).
export { startEmulator, DEFAULT_OPTIONS, type Emulator, type ReadyInfo, type StartEmulatorOptions } from './emulator';
export type { ContainerRunner, EmulatorContext, EmulatorOptions, EmulatorUrls, Service } from './context';
export type { Seed } from './store';
