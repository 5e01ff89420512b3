"""The Fleet integration API of the guide's appendix (issue 8): `/v1.0/assets` and its sub-resources, the
deprecated `/assets/inventory/counters`, also under `/cfm/fleetmgmt-integration-service/`, for integration
applications' client-credentials tokens. Documented in docs/integration-api.md."""
