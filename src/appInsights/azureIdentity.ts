// The part of @azure/identity the Application Insights source may use, bundled apart as
// dist/azureIdentity.js (about 1 MB) and loaded only when the Azure CLI or the default credential chain is
// chosen in llmTraceInspector.appInsights.credential, so the extension itself stays small and quick to load.
export { AzureCliCredential, DefaultAzureCredential } from '@azure/identity';
