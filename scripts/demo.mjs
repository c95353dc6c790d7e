// The local end-to-end demo (npm start). It grows with the project: for now it reports what exists.
console.log('Ephemeral Agents for Azure Pipelines: build done; the emulator demo lands with the emulator.');
