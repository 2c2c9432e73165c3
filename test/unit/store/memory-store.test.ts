import { MemoryStore } from '../../../src/server/store/memory-store.js';
import { storeContract } from '../../support/store/contract.js';

storeContract('MemoryStore', async () => ({ store: new MemoryStore(), dispose: async () => {} }));
