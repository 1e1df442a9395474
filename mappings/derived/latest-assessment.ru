# Each building's latest safety assessment (the one that counts for the public).
INSERT {
  GRAPH <graph/safety> { ?building emis:latestAssessment ?assessment . }
}
WHERE {
  {
    SELECT ?building (MAX(?date) AS ?latest) WHERE {
      ?a a emis:SafetyAssessment ; emis:building ?building ; emis:inspectionDate ?date .
    } GROUP BY ?building
  }
  ?assessment a emis:SafetyAssessment ; emis:building ?building ; emis:inspectionDate ?latest .
}
