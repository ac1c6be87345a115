"""tlslens.report"""
