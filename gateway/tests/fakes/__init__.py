"""In-memory stand-ins for the services the gateway calls, for its unit tests.

One module per service (`identity`, `exams`, `certs`, `fulfillment`,
`transcripts`), identity's staff side (`staff_identity`), the staff desks
(dead letters, vendor keys) and the staff directory; `rpc.FakeService`
answers the RPC client's `call` as nameko would. test_fakes_match_services.py
checks each fake's methods, parameters and errors against the real service's
`@rpc` entrypoints, and that no fake imports a service's code.
"""
